#ifndef TACK_PNG_H
#define TACK_PNG_H
#include <stddef.h>

/* libpng reports errors by longjmp, which Swift cannot do; this keeps the setjmp frame in C. */

enum tack_png_layout {
    TACK_PNG_RGBA = 0, /* R, G, B, A bytes: written as RGBA */
    TACK_PNG_BGRX = 1  /* B, G, R, unused bytes (X11's 32-bit little-endian TrueColor): written as RGB */
};

/* Writes a PNG to the open file descriptor fd (which stays open), level and strategy being zlib's, with the pixel
   data compressed on `threads` threads: the rows are cut into bands, each band is
   filtered (Up) and deflated on its own thread into a raw deflate run that ends on a byte boundary, and the runs
   are joined into one zlib stream (adler32_combine for the checksum), as pigz does. libpng writes IHDR; the IDAT
   chunks carry the joined stream. The output is an ordinary PNG any decoder reads. */
int tack_png_write_fd_parallel(const unsigned char *pixels, int width, int height, size_t stride, int layout,
                               int level, int strategy, int threads, int fd, char *error, size_t error_size);

#endif
