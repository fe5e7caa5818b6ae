#include "node/core/threads.h"

#include <pthread.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cstring>

namespace minga {

void NameThisThread(const char* name) {
  char shortened[16];
  std::strncpy(shortened, name, sizeof(shortened) - 1);
  shortened[sizeof(shortened) - 1] = '\0';
  pthread_setname_np(pthread_self(), shortened);
}

void LowerThisThreadsPriority() {
  // On Linux, nice applies to the thread whose id is given.
  const pid_t tid = static_cast<pid_t>(syscall(SYS_gettid));
  (void)setpriority(PRIO_PROCESS, static_cast<id_t>(tid), 10);
}

}  // namespace minga
