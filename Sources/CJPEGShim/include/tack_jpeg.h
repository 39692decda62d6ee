#ifndef TACK_JPEG_H
#define TACK_JPEG_H
#include <stddef.h>
#include <stdio.h>

/* libjpeg reports errors by longjmp, which Swift cannot do; these wrappers keep the setjmp frame in C and
   turn every failure into a return code and a message. All pixels are RGBA, 8 bits per channel. */

/* Reads the header only: size, components and the size a 1/denom DCT-scaled decode would give. */
int tack_jpeg_probe(const unsigned char *data, size_t size, int denom,
                    int *width, int *height, int *scaled_width, int *scaled_height,
                    char *error, size_t error_size);

/* Decodes at 1/denom (1, 2, 4 or 8) into rgba, which must hold scaled_width * scaled_height * 4 bytes.
   Greyscale, YCbCr, CMYK and YCCK (Adobe-inverted or not) all come out as RGBA. */
int tack_jpeg_decode(const unsigned char *data, size_t size, int denom, unsigned char *rgba, size_t capacity,
                     int *width, int *height, char *error, size_t error_size);

/* Encodes RGBA (alpha ignored) as a baseline JPEG; *out is malloc'd, free it with tack_jpeg_free. */
int tack_jpeg_encode(const unsigned char *rgba, int width, int height, int quality,
                     unsigned char **out, unsigned long *out_size, char *error, size_t error_size);

/* Encodes to the open file descriptor fd (which stays open). layout 0: RGBA bytes; 1: BGRX bytes (X11's 32-bit
   little-endian TrueColor). Rows are stride bytes apart. */
int tack_jpeg_write_fd(const unsigned char *pixels, int width, int height, size_t stride, int layout, int quality,
                       int fd, char *error, size_t error_size);

/* As tack_jpeg_write_fd, with the image cut into bands of whole MCU rows encoded on `threads` threads and joined
   by restart markers into one baseline stream that decodes to the same pixels; one thread, or an image too short
   to cut, is one ordinary encode. */
int tack_jpeg_write_fd_parallel(const unsigned char *pixels, int width, int height, size_t stride, int layout,
                                int quality, int threads, int fd, char *error, size_t error_size);

void tack_jpeg_free(unsigned char *buffer);

/* A JPEG read a few scanlines at a time, as RGBA, from memory or a FILE (both must outlive the reader):
   open, header (the stored size), start (choose 1/denom; the decoded size), rows (up to 16 per call) until the
   decoded height, close. Memory: libjpeg's own (a few MCU rows for a baseline file; the coefficients for a
   progressive one, as every decoder needs), nothing else. Each call returns 0 or -1; after -1,
   tack_jpeg_reader_message says why and only close is allowed. */
struct tack_jpeg_reader;
struct tack_jpeg_reader *tack_jpeg_reader_open_memory(const unsigned char *data, size_t size);
struct tack_jpeg_reader *tack_jpeg_reader_open_file(FILE *file);
int tack_jpeg_reader_header(struct tack_jpeg_reader *reader, int *width, int *height);
/* 1 when the file has several scans (progressive): after header. At 1/8 such a file is done after its DC scans. */
int tack_jpeg_reader_progressive(struct tack_jpeg_reader *reader);
int tack_jpeg_reader_start(struct tack_jpeg_reader *reader, int denom, int *width, int *height);
int tack_jpeg_reader_rows(struct tack_jpeg_reader *reader, unsigned char *rgba, int count, int *got);
const char *tack_jpeg_reader_message(const struct tack_jpeg_reader *reader);
void tack_jpeg_reader_close(struct tack_jpeg_reader *reader);

#endif
