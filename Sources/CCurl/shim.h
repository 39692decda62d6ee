#include <curl/curl.h>

/* curl_easy_setopt and curl_easy_getinfo are C variadics, which Swift cannot call: one typed wrapper per argument kind. */
static inline CURLcode tack_curl_setopt_long(CURL *c, CURLoption o, long v) { return curl_easy_setopt(c, o, v); }
static inline CURLcode tack_curl_setopt_off(CURL *c, CURLoption o, curl_off_t v) { return curl_easy_setopt(c, o, v); }
static inline CURLcode tack_curl_setopt_ptr(CURL *c, CURLoption o, void *v) { return curl_easy_setopt(c, o, v); }
static inline CURLcode tack_curl_setopt_str(CURL *c, CURLoption o, const char *v) { return curl_easy_setopt(c, o, v); }
static inline CURLcode tack_curl_setopt_xferinfo(CURL *c, curl_xferinfo_callback f) { return curl_easy_setopt(c, CURLOPT_XFERINFOFUNCTION, f); }
static inline CURLcode tack_curl_setopt_write(CURL *c, curl_write_callback f) { return curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, f); }
static inline CURLcode tack_curl_setopt_header(CURL *c, curl_write_callback f) { return curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, f); }
static inline CURLcode tack_curl_setopt_read(CURL *c, curl_read_callback f) { return curl_easy_setopt(c, CURLOPT_READFUNCTION, f); }
static inline CURLcode tack_curl_getinfo_long(CURL *c, CURLINFO i, long *v) { return curl_easy_getinfo(c, i, v); }
