// One PouchDB node for minga-sync-bench: an express-pouchdb HTTP server on
// 127.0.0.1:PORT whose databases are LevelDB stores under DIR. Forked by
// pouchdb_bench.js, which tells it over IPC to replicate from another
// server into its own "catalog" database, as a partner's node would.
//
//   node server.js PORT DIR
'use strict';
const path = require('path');
const express = require('express');
const PouchDB = require('pouchdb');

const [port, dir] = process.argv.slice(2);
const Local = PouchDB.defaults({ prefix: dir + path.sep });
const app = express();
app.use('/', require('express-pouchdb')(Local, {
  mode: 'minimumForPouchDB',
  inMemoryConfig: true,
  logPath: path.join(dir, 'log.txt'),
}));
const db = new Local('catalog');
let live = null;

process.on('message', (m) => {
  if (m.replicate) {
    // One-shot replication from the checkpoint PouchDB keeps, with its
    // default batch sizes (what a new user gets).
    const start = process.hrtime.bigint();
    Local.replicate(m.replicate, db).then((r) => {
      process.send({ replicated: r.docs_written,
                     seconds: Number(process.hrtime.bigint() - start) / 1e9 });
    }, (e) => process.send({ error: String(e) }));
  } else if (m.follow) {
    live = Local.replicate(m.follow, db, { live: true, retry: true });
    live.on('paused', () => process.send({ paused: true }));
  } else if (m.unfollow) {
    if (live) live.cancel();
    live = null;
    process.send({ unfollowed: true });
  }
});
app.listen(Number(port), '127.0.0.1', () => process.send({ ready: true }));
