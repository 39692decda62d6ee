#ifndef TACK_CURL_H
#define TACK_CURL_H
#include <stddef.h>
#include <curl/curl.h>

/* libcurl, loaded on first use with dlopen rather than linked: linking it pulls in some thirty libraries (GnuTLS,
   Kerberos, LDAP, SSH) whose start-up costs ~11 ms in every tack process, and a screenshot written to a file
   should not pay for a network stack it never uses.

   The setopt/getinfo wrappers also give Swift typed entry points: curl_easy_setopt and curl_easy_getinfo are C
   variadics, which Swift cannot call. */

/* Loads libcurl and runs curl_global_init once. 0 on success; otherwise -1 and a message. */
int tack_curl_load(char *error, size_t error_size);

CURL *tack_curl_easy_init(void);
void tack_curl_easy_cleanup(CURL *handle);
CURLcode tack_curl_easy_perform(CURL *handle);
const char *tack_curl_easy_strerror(CURLcode code);
struct curl_slist *tack_curl_slist_append(struct curl_slist *list, const char *text);
void tack_curl_slist_free_all(struct curl_slist *list);

CURLcode tack_curl_setopt_long(CURL *handle, CURLoption option, long value);
CURLcode tack_curl_setopt_off(CURL *handle, CURLoption option, curl_off_t value);
CURLcode tack_curl_setopt_ptr(CURL *handle, CURLoption option, void *value);
CURLcode tack_curl_setopt_str(CURL *handle, CURLoption option, const char *value);
CURLcode tack_curl_setopt_xferinfo(CURL *handle, curl_xferinfo_callback callback);
CURLcode tack_curl_setopt_write(CURL *handle, curl_write_callback callback);
/* Header lines have the write callback's shape. */
CURLcode tack_curl_setopt_header(CURL *handle, curl_write_callback callback);
CURLcode tack_curl_getinfo_long(CURL *handle, CURLINFO info, long *value);

#endif
