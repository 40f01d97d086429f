/*
 * Kernel credentials of the peer of a connected Unix socket.
 *
 * getPeerCred(fd)   -> { pid, uid, gid }            SO_PEERCRED, taken by the kernel at connect()
 * getPeerPidfd(fd)  -> pidfd (number) or -1         SO_PEERPIDFD (Linux >= 6.5): cannot be recycled
 * isPidfdAlive(fd)  -> boolean                      a pidfd polls readable once its process exits
 *
 * Errors throw with the errno text; nothing here allocates beyond the returned values.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <node_api.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#ifndef SO_PEERPIDFD
#define SO_PEERPIDFD 77
#endif

static napi_value throw_errno(napi_env env, const char *what, int err) {
  char message[160];
  snprintf(message, sizeof message, "%s: %s", what, strerror(err));
  napi_throw_error(env, NULL, message);
  return NULL;
}

static int read_fd_arg(napi_env env, napi_callback_info info, int32_t *fd) {
  size_t argc = 1;
  napi_value argv[1];
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < 1 ||
      napi_get_value_int32(env, argv[0], fd) != napi_ok || *fd < 0) {
    napi_throw_type_error(env, NULL, "expected a file descriptor");
    return 0;
  }
  return 1;
}

static napi_value set_int(napi_env env, napi_value obj, const char *name, int64_t value) {
  napi_value v;
  napi_create_int64(env, value, &v);
  napi_set_named_property(env, obj, name, v);
  return obj;
}

static napi_value get_peer_cred(napi_env env, napi_callback_info info) {
  int32_t fd;
  if (!read_fd_arg(env, info, &fd)) return NULL;
  struct ucred cred;
  socklen_t len = sizeof cred;
  if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) != 0) {
    return throw_errno(env, "getsockopt(SO_PEERCRED)", errno);
  }
  napi_value result;
  napi_create_object(env, &result);
  set_int(env, result, "pid", cred.pid);
  set_int(env, result, "uid", cred.uid);
  set_int(env, result, "gid", cred.gid);
  return result;
}

static napi_value get_peer_pidfd(napi_env env, napi_callback_info info) {
  int32_t fd;
  if (!read_fd_arg(env, info, &fd)) return NULL;
  int pidfd = -1;
  socklen_t len = sizeof pidfd;
  napi_value result;
  if (getsockopt(fd, SOL_SOCKET, SO_PEERPIDFD, &pidfd, &len) != 0) {
    /* Older kernels (ENOPROTOOPT) or a peer already reaped (ESRCH): the caller falls back. */
    pidfd = -1;
  }
  napi_create_int32(env, pidfd, &result);
  return result;
}

static napi_value is_pidfd_alive(napi_env env, napi_callback_info info) {
  int32_t fd;
  if (!read_fd_arg(env, info, &fd)) return NULL;
  struct pollfd pfd = {.fd = fd, .events = POLLIN, .revents = 0};
  int n;
  do {
    n = poll(&pfd, 1, 0);
  } while (n < 0 && errno == EINTR);
  if (n < 0) return throw_errno(env, "poll(pidfd)", errno);
  napi_value result;
  napi_get_boolean(env, n == 0, &result);
  return result;
}

static napi_value init(napi_env env, napi_value exports) {
  napi_property_descriptor props[] = {
      {"getPeerCred", NULL, get_peer_cred, NULL, NULL, NULL, napi_enumerable, NULL},
      {"getPeerPidfd", NULL, get_peer_pidfd, NULL, NULL, NULL, napi_enumerable, NULL},
      {"isPidfdAlive", NULL, is_pidfd_alive, NULL, NULL, NULL, napi_enumerable, NULL},
  };
  napi_define_properties(env, exports, sizeof props / sizeof props[0], props);
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, init)
