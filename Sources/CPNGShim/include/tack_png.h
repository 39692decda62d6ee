#ifndef TACK_PNG_H
#define TACK_PNG_H
#include <stddef.h>
#include <stdio.h>

/* libpng reports errors by longjmp, which Swift cannot do; this keeps the setjmp frame in C. */

enum tack_png_layout {
    TACK_PNG_RGBA = 0, /* R, G, B, A bytes: written as RGBA */
    TACK_PNG_BGRX = 1  /* B, G, R, unused bytes (X11's 32-bit little-endian TrueColor): written as RGB */
};

/* Writes a PNG to the open file descriptor fd (which stays open), level being zlib's and strategy zlib's or -1 (each
   band tries run-length and ordinary matching on a sample of its rows and keeps the smaller), with the pixel data
   compressed on `threads` threads: the rows are cut into bands, each band is filtered (per row, the smallest of
   None, Sub, Up and Paeth, as libpng's heuristic picks) and deflated on its own thread into a raw deflate run that
   ends on a byte boundary, and the runs are joined into one zlib stream (adler32_combine for the checksum), as pigz
   does. An image of at most 256 colours is written as an exact palette PNG (PLTE, and tRNS for translucent ones),
   its indices 1, 2, 4 or 8 bits wide, the fewest that hold its colours.
   libpng writes IHDR; the IDAT chunks carry the joined stream. The output is an ordinary PNG any decoder reads. */
int tack_png_write_fd_parallel(const unsigned char *pixels, int width, int height, size_t stride, int layout,
                               int level, int strategy, int threads, int fd, char *error, size_t error_size);

/* A PNG read one row at a time, as 8-bit RGBA (every colour type and bit depth; tRNS becomes alpha; 16-bit rounded;
   a declared gAMA converted to sRGB). Memory: libpng's own row buffers and zlib's window, nothing image-sized.
   Interlaced files are not combined: rows come pass by pass, each the row of that Adam7 pass's reduced image
   (PNG_PASS_COLS(width, pass) pixels wide), and pass/row say which. Every function returns 0 or -1 (then
   tack_png_reader_message says why and only close is allowed). The memory or FILE source must outlive the reader. */
struct tack_png_reader;
struct tack_png_reader *tack_png_reader_open_memory(const unsigned char *data, size_t size);
struct tack_png_reader *tack_png_reader_open_file(FILE *file);
int tack_png_reader_header(struct tack_png_reader *reader, int *width, int *height, int *interlaced, int *has_alpha);
/* Reads the next row into rgba (room for width * 4 bytes); pass is 0-6 (0 when not interlaced), row its row number. */
int tack_png_reader_row(struct tack_png_reader *reader, unsigned char *rgba, int *pass, int *row);
const char *tack_png_reader_message(const struct tack_png_reader *reader);
void tack_png_reader_close(struct tack_png_reader *reader);

#endif
