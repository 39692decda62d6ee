#ifndef TACK_SPAWN_H
#define TACK_SPAWN_H

#include <sys/types.h>

/* posix_spawn with the two things Foundation's Process cannot promise in a threaded program:

   - the child gets descriptors 0, 1 and 2 and nothing else. Process closes 3...(highest fd open when it looked),
     so a pipe or socket another thread opens a moment later leaks into the child; a long-lived child (Xvfb, a
     server) then holds that pipe open and whoever waits for its end waits for the child instead.
     posix_spawn_file_actions_addclosefrom_np (glibc 2.34) closes them at exec time, whenever they were made; it
     is declared only under _GNU_SOURCE, which Swift's Glibc module does not define, hence this shim.
   - the child starts with no signal blocked and every signal at its default, whichever thread started it (a
     Swift concurrency or Dispatch thread blocks some, and a child would keep ignoring SIGTERM).

   `fds[i]` (0 to 2) becomes descriptor i in the child: -1 opens /dev/null; any other open descriptor is dup'ed
   there, i itself included. `directory` may be NULL; `path` should be absolute, as it is looked up after the
   change of directory. With `new_group`, the child leads a process group of its own, as Process does, so a
   terminal's Ctrl-C reaches only the parent; without it, the child stays in the parent's group, so a signal to
   the group reaches both. Returns 0 and sets *pid, or an errno value. */
int tack_spawn(pid_t *pid, const char *path, char *const argv[], char *const envp[], const char *directory,
               const int fds[3], int new_group);

#endif
