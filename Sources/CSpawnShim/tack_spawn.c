#define _GNU_SOURCE
#include "tack_spawn.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <unistd.h>

int tack_spawn(pid_t *pid, const char *path, char *const argv[], char *const envp[], const char *directory,
               const int fds[3], int new_group) {
    /* A source that is itself 0-2 but meant for another number (stderr to the parent's stdout) would be overwritten
       by an earlier dup2 of the same actions: such sources are moved above 2 first, close-on-exec. */
    int sources[3] = {fds[0], fds[1], fds[2]};
    int moved[3] = {-1, -1, -1};
    int error = 0;
    for (int target = 0; target < 3 && !error; target++) {
        if (sources[target] >= 0 && sources[target] < 3 && sources[target] != target) {
            moved[target] = fcntl(sources[target], F_DUPFD_CLOEXEC, 3);
            if (moved[target] < 0) error = errno;
            sources[target] = moved[target];
        }
    }
    posix_spawn_file_actions_t actions;
    posix_spawnattr_t attributes;
    int actionsMade = 0, attributesMade = 0;
    if (!error) error = posix_spawn_file_actions_init(&actions);
    if (!error) actionsMade = 1;
    if (!error) error = posix_spawnattr_init(&attributes);
    if (!error) attributesMade = 1;
    for (int target = 0; target < 3 && !error; target++) {
        if (sources[target] < 0)
            error = posix_spawn_file_actions_addopen(&actions, target, "/dev/null", target == 0 ? O_RDONLY : O_WRONLY, 0);
        else
            /* Also when the source is the target: glibc then clears close-on-exec, so the descriptor survives. */
            error = posix_spawn_file_actions_adddup2(&actions, sources[target], target);
    }
    if (!error && directory) error = posix_spawn_file_actions_addchdir_np(&actions, directory);
    if (!error) error = posix_spawn_file_actions_addclosefrom_np(&actions, 3);

    sigset_t none, all;
    sigemptyset(&none);
    sigfillset(&all);
    short flags = POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF | (new_group ? POSIX_SPAWN_SETPGROUP : 0);
    if (!error) error = posix_spawnattr_setsigmask(&attributes, &none);
    if (!error) error = posix_spawnattr_setsigdefault(&attributes, &all);
    if (!error && new_group) error = posix_spawnattr_setpgroup(&attributes, 0);
    if (!error) error = posix_spawnattr_setflags(&attributes, flags);
    if (!error) error = posix_spawn(pid, path, &actions, &attributes, argv, envp);

    if (attributesMade) posix_spawnattr_destroy(&attributes);
    if (actionsMade) posix_spawn_file_actions_destroy(&actions);
    for (int target = 0; target < 3; target++)
        if (moved[target] >= 0) close(moved[target]);
    return error;
}
