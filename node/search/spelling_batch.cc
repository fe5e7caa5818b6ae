#include "node/search/spelling_batch.h"

namespace minga::search {

void SpellingBatch::FlushTo(Xapian::WritableDatabase* db) {
  // Each word is forgotten once written, so a flush that fails part way
  // can be tried again without writing a word twice.
  for (auto it = delta_.begin(); it != delta_.end();) {
    const auto& [word, delta] = *it;
    if (delta > 0) db->add_spelling(word, static_cast<Xapian::termcount>(delta));
    if (delta < 0) db->remove_spelling(word, static_cast<Xapian::termcount>(-delta));
    delta_.erase(it++);
  }
}

}  // namespace minga::search
