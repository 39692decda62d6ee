/* libFuzzer target: the PNG row reader of Sources/CPNGShim (tack_png.h) on a memory buffer.
   Reads the header, then every row (every Adam7 pass's rows for an interlaced file) into a buffer of exactly the
   width the header gave, as PNGRowReader does, so ASan sees any row libpng writes past it. */
#include <stdint.h>
#include <stdlib.h>
#include "tack_png.h"

/* Fuzzing speed, not a safety bound: Thumbnailer checks ImageLimits (100 M pixels) itself. */
enum { MAX_PIXELS = 1 << 22 };

static long columns(int width, int pass, int interlaced) {
    static const int x0[7] = {0, 4, 0, 2, 0, 1, 0}, dx[7] = {8, 8, 4, 4, 2, 2, 1};
    if (!interlaced) return width;
    return (width - x0[pass] + dx[pass] - 1) / dx[pass];
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    struct tack_png_reader *reader = tack_png_reader_open_memory(data, size);
    if (!reader) return 0;
    int width = 0, height = 0, interlaced = 0, alpha = 0;
    if (tack_png_reader_header(reader, &width, &height, &interlaced, &alpha) == 0 && width > 0 && height > 0
        && (long long)width * height <= MAX_PIXELS) {
        /* At most 15/8 of the height in rows for an interlaced file (7 passes); one more call must fail cleanly. */
        long rows = interlaced ? (long)height * 2 + 8 : height;
        unsigned char *row = malloc((size_t)width * 4);
        for (long i = 0; i <= rows; i++) {
            int pass = 0, number = 0;
            if (tack_png_reader_row(reader, row, &pass, &number) != 0) break;
            if (pass < 0 || pass > 6 || number < 0 || number >= height) abort();
            if (columns(width, pass, interlaced) > width) abort();
        }
        free(row);
        (void)tack_png_reader_message(reader);
    }
    tack_png_reader_close(reader);
    return 0;
}
