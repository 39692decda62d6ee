/* libFuzzer target: the JPEG entry points of Sources/CJPEGShim (tack_jpeg.h) on a memory buffer.
   tack_jpeg_probe at 1/1 and 1/8, tack_jpeg_decode at 1/1 and 1/8 (the DC-only path for progressive files) into
   buffers of exactly the probed size, and the scanline reader at 1/2 and 1/4 in batches of up to 16 rows. Every
   output buffer is allocated to the size the shim announced, so ASan sees any write past it. */
#include <stdint.h>
#include <stdlib.h>
#include "tack_jpeg.h"

/* Fuzzing speed, not a safety bound: JPEGCodec and Thumbnailer check ImageLimits (100 M pixels) themselves. */
enum { MAX_PIXELS = 1 << 22 };

static void decode(const uint8_t *data, size_t size, int denom) {
    int w = 0, h = 0, sw = 0, sh = 0;
    char message[256];
    if (tack_jpeg_probe(data, size, denom, &w, &h, &sw, &sh, message, sizeof message) != 0) return;
    if (w <= 0 || h <= 0 || (long long)w * h > MAX_PIXELS) return;
    if (sw != (w + denom - 1) / denom || sh != (h + denom - 1) / denom) abort(); /* JPEGCodec relies on this */
    size_t capacity = (size_t)sw * sh * 4;
    unsigned char *rgba = malloc(capacity);
    int ow = 0, oh = 0;
    if (tack_jpeg_decode(data, size, denom, rgba, capacity, &ow, &oh, message, sizeof message) == 0
        && (ow != sw || oh != sh)) abort();
    free(rgba);
}

static void read_rows(const uint8_t *data, size_t size, int denom) {
    struct tack_jpeg_reader *reader = tack_jpeg_reader_open_memory(data, size);
    if (!reader) return;
    int w = 0, h = 0, ow = 0, oh = 0;
    if (tack_jpeg_reader_header(reader, &w, &h) == 0 && w > 0 && h > 0 && (long long)w * h <= MAX_PIXELS
        && tack_jpeg_reader_start(reader, denom, &ow, &oh) == 0) {
        if (ow <= 0 || oh <= 0 || ow > w || oh > h) abort();
        unsigned char *rows = malloc((size_t)ow * 4 * 16);
        int total = 0, got = 0;
        while (total < oh && tack_jpeg_reader_rows(reader, rows, 16, &got) == 0 && got > 0) total += got;
        if (total > oh) abort();
        free(rows);
    }
    (void)tack_jpeg_reader_message(reader);
    tack_jpeg_reader_close(reader);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    decode(data, size, 1);
    decode(data, size, 8);
    read_rows(data, size, 2);
    read_rows(data, size, 4);
    return 0;
}
