#include "tack_curl.h"
#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>

static struct {
    CURLcode (*global_init)(long);
    CURL *(*easy_init)(void);
    void (*easy_cleanup)(CURL *);
    CURLcode (*easy_perform)(CURL *);
    const char *(*easy_strerror)(CURLcode);
    CURLcode (*easy_setopt)(CURL *, CURLoption, ...);
    CURLcode (*easy_getinfo)(CURL *, CURLINFO, ...);
    struct curl_slist *(*slist_append)(struct curl_slist *, const char *);
    void (*slist_free_all)(struct curl_slist *);
} curl;

static pthread_once_t loaded = PTHREAD_ONCE_INIT;
static char load_error[256];

static void *symbol(void *library, const char *name) {
    void *found = dlsym(library, name);
    if (!found && !load_error[0]) snprintf(load_error, sizeof load_error, "libcurl lacks %s", name);
    return found;
}

static void load(void) {
    void *library = dlopen("libcurl.so.4", RTLD_NOW | RTLD_LOCAL);
    if (!library) {
        snprintf(load_error, sizeof load_error, "cannot load libcurl.so.4 (apt install libcurl4): %s", dlerror());
        return;
    }
    *(void **)&curl.global_init = symbol(library, "curl_global_init");
    *(void **)&curl.easy_init = symbol(library, "curl_easy_init");
    *(void **)&curl.easy_cleanup = symbol(library, "curl_easy_cleanup");
    *(void **)&curl.easy_perform = symbol(library, "curl_easy_perform");
    *(void **)&curl.easy_strerror = symbol(library, "curl_easy_strerror");
    *(void **)&curl.easy_setopt = symbol(library, "curl_easy_setopt");
    *(void **)&curl.easy_getinfo = symbol(library, "curl_easy_getinfo");
    *(void **)&curl.slist_append = symbol(library, "curl_slist_append");
    *(void **)&curl.slist_free_all = symbol(library, "curl_slist_free_all");
    if (!load_error[0] && curl.global_init(CURL_GLOBAL_ALL) != CURLE_OK) {
        snprintf(load_error, sizeof load_error, "curl_global_init failed");
    }
}

int tack_curl_load(char *error, size_t error_size) {
    pthread_once(&loaded, load);
    if (load_error[0]) {
        if (error && error_size) snprintf(error, error_size, "%s", load_error);
        return -1;
    }
    return 0;
}

CURL *tack_curl_easy_init(void) { return curl.easy_init(); }
void tack_curl_easy_cleanup(CURL *handle) { curl.easy_cleanup(handle); }
CURLcode tack_curl_easy_perform(CURL *handle) { return curl.easy_perform(handle); }
const char *tack_curl_easy_strerror(CURLcode code) { return curl.easy_strerror(code); }
struct curl_slist *tack_curl_slist_append(struct curl_slist *list, const char *text) { return curl.slist_append(list, text); }
void tack_curl_slist_free_all(struct curl_slist *list) { curl.slist_free_all(list); }

CURLcode tack_curl_setopt_long(CURL *handle, CURLoption option, long value) { return curl.easy_setopt(handle, option, value); }
CURLcode tack_curl_setopt_off(CURL *handle, CURLoption option, curl_off_t value) { return curl.easy_setopt(handle, option, value); }
CURLcode tack_curl_setopt_ptr(CURL *handle, CURLoption option, void *value) { return curl.easy_setopt(handle, option, value); }
CURLcode tack_curl_setopt_str(CURL *handle, CURLoption option, const char *value) { return curl.easy_setopt(handle, option, value); }
CURLcode tack_curl_setopt_xferinfo(CURL *handle, curl_xferinfo_callback callback) {
    return curl.easy_setopt(handle, CURLOPT_XFERINFOFUNCTION, callback);
}
CURLcode tack_curl_setopt_write(CURL *handle, curl_write_callback callback) {
    return curl.easy_setopt(handle, CURLOPT_WRITEFUNCTION, callback);
}
CURLcode tack_curl_setopt_header(CURL *handle, curl_write_callback callback) {
    return curl.easy_setopt(handle, CURLOPT_HEADERFUNCTION, callback);
}
CURLcode tack_curl_getinfo_long(CURL *handle, CURLINFO info, long *value) { return curl.easy_getinfo(handle, info, value); }
