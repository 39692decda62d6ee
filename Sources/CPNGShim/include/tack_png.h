#ifndef TACK_PNG_H
#define TACK_PNG_H
#include <stddef.h>

/* libpng reports errors by longjmp, which Swift cannot do; this keeps the setjmp frame in C. */

enum tack_png_layout {
    TACK_PNG_RGBA = 0, /* R, G, B, A bytes: written as RGBA */
    TACK_PNG_BGRX = 1  /* B, G, R, unused bytes (X11's 32-bit little-endian TrueColor): written as RGB */
};

/* Writes a PNG to the open file descriptor fd (which stays open). level is zlib's 0-9, filters a PNG_FILTER_* mask,
   strategy zlib's Z_* strategy. Returns 0, or -1 with a message in error. */
int tack_png_write_fd(const unsigned char *pixels, int width, int height, size_t stride, int layout,
                      int level, int filters, int strategy, int fd, char *error, size_t error_size);

#endif
