// PouchDB's side of minga-sync-bench, on the same documents: two
// express-pouchdb servers (separate processes, each with its own LevelDB
// store), a bulk load into A over HTTP, B's initial pull from A through a
// byte-counting proxy, a 1% incremental pull, the idle cost of a live
// replication, and the store size, peak memory and CPU of both.
//
//   node pouchdb_bench.js --docs FILE --more FILE --dir DIR [--runs N]
//                         [--idle-seconds S]
//
// FILE holds one JSON document per line (with _id); --more holds the
// incremental ones. Prints one "name value" line per result (medians over
// the runs where a result is measured in each run).
'use strict';
const { fork, execFileSync } = require('child_process');
const fs = require('fs');
const net = require('net');
const path = require('path');
const PouchDB = require('pouchdb');

function args() {
  const a = { runs: 1, idleSeconds: 10 };
  const argv = process.argv.slice(2);
  for (let i = 0; i < argv.length; i += 2) {
    const v = argv[i + 1];
    switch (argv[i]) {
      case '--docs': a.docs = v; break;
      case '--more': a.more = v; break;
      case '--dir': a.dir = v; break;
      case '--runs': a.runs = Number(v); break;
      case '--idle-seconds': a.idleSeconds = Number(v); break;
      default: throw new Error(`unknown flag ${argv[i]}`);
    }
  }
  if (!a.docs || !a.more || !a.dir) throw new Error('--docs, --more and --dir are required');
  return a;
}

function readDocs(file) {
  return fs.readFileSync(file, 'utf8').split('\n').filter((l) => l).map((l) => JSON.parse(l));
}

function freePort() {
  return new Promise((resolve) => {
    const s = net.createServer();
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

// A TCP proxy that counts what it forwards, as minga-sync-bench's does.
function countingProxy(listenPort, targetPort) {
  const counter = { bytes: 0, sockets: new Set() };
  counter.server = net.createServer((client) => {
    const upstream = net.connect(targetPort, '127.0.0.1');
    for (const s of [client, upstream]) {
      s.setNoDelay(true);
      counter.sockets.add(s);
      s.on('error', () => { client.destroy(); upstream.destroy(); });
      s.on('close', () => counter.sockets.delete(s));
    }
    client.on('data', (d) => { counter.bytes += d.length; upstream.write(d); });
    upstream.on('data', (d) => { counter.bytes += d.length; client.write(d); });
    client.on('end', () => upstream.end());
    upstream.on('end', () => client.end());
  });
  counter.close = () => {
    for (const s of counter.sockets) s.destroy();
    return new Promise((r) => counter.server.close(r));
  };
  return new Promise((resolve) => counter.server.listen(listenPort, '127.0.0.1', () => resolve(counter)));
}

class Server {
  constructor(dir) { this.dir = dir; }
  async start() {
    fs.mkdirSync(this.dir, { recursive: true });
    this.port = await freePort();
    this.child = fork(path.join(__dirname, 'server.js'), [String(this.port), this.dir],
                      { stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
    this.waiters = [];
    this.child.on('message', (m) => {
      const w = this.waiters.find((x) => x.key in m);
      if (w) {
        this.waiters.splice(this.waiters.indexOf(w), 1);
        w.resolve(m);
      } else if ('error' in m) {
        console.error(`pouchdb server: ${m.error}`);
      }
    });
    await this.wait('ready');
  }
  wait(key) {
    return new Promise((resolve, reject) => {
      this.waiters.push({ key, resolve });
      this.child.once('exit', () => reject(new Error('pouchdb server exited')));
    });
  }
  request(message, key) {
    const p = this.wait(key);
    this.child.send(message);
    return p;
  }
  // CPU seconds (user + system) and peak resident memory (MiB) so far.
  cpuSeconds() {
    const stat = fs.readFileSync(`/proc/${this.child.pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100;  // utime, stime in ticks
  }
  peakMib() {
    const status = fs.readFileSync(`/proc/${this.child.pid}/status`, 'utf8');
    return Number(/VmHWM:\s+(\d+)/.exec(status)[1]) / 1024;
  }
  diskBytes() {
    return Number(execFileSync('du', ['-sb', this.dir]).toString().split('\t')[0]);
  }
  stop() {
    this.child.kill('SIGKILL');
  }
}

async function bulkLoad(url, docs) {
  const db = new PouchDB(url);
  for (let i = 0; i < docs.length; i += 500) {
    const results = await db.bulkDocs(docs.slice(i, i + 500));
    const failed = results.find((r) => r.error);
    if (failed) throw new Error(`bulkDocs: ${failed.id}: ${failed.reason}`);
  }
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
};
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function main() {
  const a = args();
  const docs = readDocs(a.docs);
  const more = readDocs(a.more);
  const runs = [];
  for (let run = 0; run < a.runs; ++run) {
    const last = run === a.runs - 1;
    const root = path.join(a.dir, `run-${run}`);
    fs.rmSync(root, { recursive: true, force: true });
    const A = new Server(path.join(root, 'a'));
    const B = new Server(path.join(root, 'b'));
    await A.start();
    await B.start();
    const proxy = await countingProxy(await freePort(), A.port);
    const r = {};
    try {
      let t = process.hrtime.bigint();
      await bulkLoad(`http://127.0.0.1:${A.port}/catalog`, docs);
      r.load_seconds = Number(process.hrtime.bigint() - t) / 1e9;

      const source = `http://127.0.0.1:${proxy.server.address().port}/catalog`;
      const cpuBefore = B.cpuSeconds();
      const pulled = await B.request({ replicate: source }, 'replicated');
      if (pulled.replicated !== docs.length) {
        throw new Error(`replicated ${pulled.replicated} of ${docs.length}`);
      }
      r.pull_seconds = pulled.seconds;
      r.pull_cpu_seconds = B.cpuSeconds() - cpuBefore;
      r.wire_bytes = proxy.bytes;
      r.store_bytes_source = A.diskBytes();
      r.store_bytes_puller = B.diskBytes();
      if (last) {
        await bulkLoad(`http://127.0.0.1:${A.port}/catalog`, more);
        t = process.hrtime.bigint();
        const again = await B.request({ replicate: source }, 'replicated');
        if (again.replicated !== more.length) {
          throw new Error(`incremental: replicated ${again.replicated} of ${more.length}`);
        }
        r.incremental_seconds = Number(process.hrtime.bigint() - t) / 1e9;

        // Idle: a live replication that has caught up, for a while.
        await B.request({ follow: source }, 'paused');
        const bytes = proxy.bytes;
        const cpu = A.cpuSeconds() + B.cpuSeconds();
        await sleep(a.idleSeconds * 1000);
        r.idle_bytes_per_second = (proxy.bytes - bytes) / a.idleSeconds;
        r.idle_cpu_percent = (A.cpuSeconds() + B.cpuSeconds() - cpu) / a.idleSeconds * 100;
        await B.request({ unfollow: true }, 'unfollowed');
      }
      r.peak_mib_source = A.peakMib();
      r.peak_mib_puller = B.peakMib();
    } finally {
      await proxy.close();
      A.stop();
      B.stop();
    }
    runs.push(r);
    fs.rmSync(root, { recursive: true, force: true });
  }
  const keys = new Set(runs.flatMap((r) => Object.keys(r)));
  for (const k of keys) {
    const values = runs.map((r) => r[k]).filter((v) => v !== undefined);
    console.log(`${k} ${median(values)}`);
  }
  const versions = ['pouchdb', 'express-pouchdb'].map(
    (p) => `${p}@${require(`${p}/package.json`).version}`);
  console.log(`versions ${versions.join(',')}`);
}

main().then(() => process.exit(0), (e) => {
  console.error(`pouchdb_bench: ${e.stack || e}`);
  process.exit(1);
});
