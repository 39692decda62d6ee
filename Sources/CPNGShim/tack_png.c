#include "tack_png.h"
#include <png.h>
#include <setjmp.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

struct tack_png_error {
    char *message;
    size_t size;
};

static void tack_png_error(png_structp png, png_const_charp text) {
    struct tack_png_error *error = (struct tack_png_error *)png_get_error_ptr(png);
    if (error && error->message && error->size) snprintf(error->message, error->size, "%s", text);
    png_longjmp(png, 1);
}

/* Warnings are not errors here; nothing is printed behind the caller's back. */
static void tack_png_warning(png_structp png, png_const_charp text) { (void)png; (void)text; }

#include <pthread.h>
#include <stdlib.h>

/* Up to 256 distinct colours, found in one pass that stops at the 257th: screens of text and flat UI are written
   as palette PNGs, one byte a pixel, which compress several times better than RGB. Open addressing on 1024 slots. */
struct tack_palette {
    int count;
    /* Bits an index takes in the file: 1, 2, 4 or 8, the fewest that hold `count` colours. */
    int bits;
    unsigned int colors[256];
    unsigned int keys[1024];
    unsigned char indices[1024];
    unsigned char used[1024];
};

static inline unsigned int tack_pixel_key(const unsigned char *p, int layout) {
    /* BGRX: the unused byte is not part of the colour. */
    return layout == TACK_PNG_BGRX ? ((unsigned int)p[2] << 16) | ((unsigned int)p[1] << 8) | p[0]
                                   : ((unsigned int)p[0] << 24) | ((unsigned int)p[1] << 16) | ((unsigned int)p[2] << 8) | p[3];
}

static inline unsigned int tack_slot(unsigned int key) { return (key * 2654435761u) >> 22; }

static int tack_palette_index(const struct tack_palette *palette, unsigned int key) {
    for (unsigned int slot = tack_slot(key);; slot = (slot + 1) & 1023) {
        if (!palette->used[slot]) return -1;
        if (palette->keys[slot] == key) return palette->indices[slot];
    }
}

/* 0 when the image has at most 256 colours (then palette holds them), -1 otherwise. */
static int tack_palette_build(const unsigned char *pixels, int width, int height, size_t stride, int layout,
                              struct tack_palette *palette) {
    memset(palette, 0, sizeof *palette);
    for (int y = 0; y < height; y++) {
        const unsigned char *p = pixels + stride * (size_t)y;
        unsigned int last = ~tack_pixel_key(p, layout);
        for (int x = 0; x < width; x++, p += 4) {
            unsigned int key = tack_pixel_key(p, layout);
            if (key == last) continue;  /* runs of one colour are most of a screen */
            last = key;
            unsigned int slot = tack_slot(key);
            while (palette->used[slot] && palette->keys[slot] != key) slot = (slot + 1) & 1023;
            if (palette->used[slot]) continue;
            if (palette->count == 256) return -1;
            palette->used[slot] = 1;
            palette->keys[slot] = key;
            palette->indices[slot] = (unsigned char)palette->count;
            palette->colors[palette->count++] = key;
        }
    }
    palette->bits = palette->count <= 2 ? 1 : palette->count <= 4 ? 2 : palette->count <= 16 ? 4 : 8;
    return 0;
}

struct tack_band {
    const unsigned char *pixels;
    size_t stride;
    const struct tack_palette *palette; /* set: the band is written as palette indices */
    int width, first, last, height, layout, level, strategy, is_final;
    unsigned char *out;
    size_t out_size;
    unsigned long adler;
    unsigned long raw_size;
    int failed;
};

/* The row's bytes as PNG stores them before filtering: RGB or RGBA, or palette indices. */
static void tack_raw_row(const struct tack_band *band, int y, unsigned char *out) {
    const unsigned char *p = band->pixels + band->stride * (size_t)y;
    int w = band->width;
    if (band->palette) {
        /* Indices packed most significant bits first, 8 / bits to a byte; a row's last byte is padded with zeros. */
        int bits = band->palette->bits, per_byte = 8 / bits;
        unsigned int last = ~tack_pixel_key(p, band->layout);
        unsigned char index = 0, byte = 0;
        for (int x = 0; x < w; x++, p += 4) {
            unsigned int key = tack_pixel_key(p, band->layout);
            if (key != last) { last = key; index = (unsigned char)tack_palette_index(band->palette, key); }
            if (bits == 8) { out[x] = index; continue; }
            byte = (unsigned char)(byte | index << (8 - bits * (x % per_byte + 1)));
            if (x % per_byte == per_byte - 1) { *out++ = byte; byte = 0; }
        }
        if (bits < 8 && w % per_byte) *out = byte;
    } else if (band->layout == TACK_PNG_BGRX) {
        for (int x = 0; x < w; x++, p += 4, out += 3) { out[0] = p[2]; out[1] = p[1]; out[2] = p[0]; }
    } else {
        memcpy(out, p, (size_t)w * 4);
    }
}

/* Paeth's predictor without branches, so the loops below vectorise: encoding, unlike decoding, reads only raw
   bytes, so every byte of a row can be predicted at once. */
static inline unsigned char tack_paeth(unsigned char a, unsigned char b, unsigned char c) {
    /* 16 bits hold every intermediate (|a + b - 2c| <= 510) and let eight bytes go through a vector at once. */
    short pa = (short)((short)b - (short)c), pb = (short)((short)a - (short)c), pc = (short)(pa + pb);
    pa = (short)(pa < 0 ? -pa : pa); pb = (short)(pb < 0 ? -pb : pb); pc = (short)(pc < 0 ? -pc : pc);
    unsigned char bc = pb <= pc ? b : c;
    return pa <= pb && pa <= pc ? a : bc;
}

/* A filtered byte's size as a signed number, libpng's measure of how well a filter predicted. */
static inline unsigned int tack_magnitude(unsigned char residual) {
    signed char value = (signed char)residual;
    return (unsigned int)(value < 0 ? -value : value);
}

#if defined(__SSE2__)
/* Sixteen bytes at a time where the machine has SSE2 (every x86-64): the filter choice is most of the encoder's
   arithmetic, and compilers vectorise Paeth's 16-bit selects only four lanes wide. */
#include <emmintrin.h>

/* The sum of sixteen residuals' magnitudes (min(v, 256 - v) is |v| as a signed byte), as two 64-bit halves. */
static inline __m128i tack_magnitudes(__m128i residuals) {
    __m128i zero = _mm_setzero_si128();
    return _mm_sad_epu8(_mm_min_epu8(residuals, _mm_sub_epi8(zero, residuals)), zero);
}

static inline unsigned int tack_sum64(__m128i sums) {
    return (unsigned int)(_mm_cvtsi128_si32(sums) + _mm_cvtsi128_si32(_mm_srli_si128(sums, 8)));
}

/* Paeth's prediction of eight bytes, widened to 16-bit lanes. */
static inline __m128i tack_paeth8(__m128i a, __m128i b, __m128i c) {
    __m128i pa = _mm_sub_epi16(b, c), pb = _mm_sub_epi16(a, c);
    __m128i pc = _mm_add_epi16(pa, pb);
    pa = _mm_max_epi16(pa, _mm_sub_epi16(_mm_setzero_si128(), pa));
    pb = _mm_max_epi16(pb, _mm_sub_epi16(_mm_setzero_si128(), pb));
    pc = _mm_max_epi16(pc, _mm_sub_epi16(_mm_setzero_si128(), pc));
    __m128i not_a = _mm_or_si128(_mm_cmpgt_epi16(pa, pb), _mm_cmpgt_epi16(pa, pc));
    __m128i c_over_b = _mm_cmpgt_epi16(pb, pc);
    __m128i b_or_c = _mm_or_si128(_mm_andnot_si128(c_over_b, b), _mm_and_si128(c_over_b, c));
    return _mm_or_si128(_mm_andnot_si128(not_a, a), _mm_and_si128(not_a, b_or_c));
}

static inline __m128i tack_paeth16(__m128i a, __m128i b, __m128i c) {
    __m128i zero = _mm_setzero_si128();
    __m128i low = tack_paeth8(_mm_unpacklo_epi8(a, zero), _mm_unpacklo_epi8(b, zero), _mm_unpacklo_epi8(c, zero));
    __m128i high = tack_paeth8(_mm_unpackhi_epi8(a, zero), _mm_unpackhi_epi8(b, zero), _mm_unpackhi_epi8(c, zero));
    return _mm_packus_epi16(low, high);
}
#endif

/* Filters `here` (with `above`, the raw row before it; zeros for the image's first row, as PNG defines) the way
   libpng's minimum-sum heuristic does: of None, Sub, Up and Paeth, the one whose bytes are smallest as signed
   numbers is kept, in out[0] (the filter type) and out[1...]. One pass sums all four over the whole row, a second
   writes only the chosen one; both loops are free of branches so the compiler vectorises them.
   Palette rows are written unfiltered, as the specification recommends: their bytes are indices, not intensities. */
static void tack_filter_row(const unsigned char *restrict here, const unsigned char *restrict above, size_t n, int bpp,
                            int palette, unsigned char *restrict out) {
    out[0] = 0;
    if (palette) {
        memcpy(out + 1, here, n);
        return;
    }
    size_t step = (size_t)bpp, lead = step < n ? step : n;
    unsigned int none = 0, sub = 0, up = 0, paeth = 0;
    /* The first pixel has no left neighbour: Sub is None there, and Paeth is Up. */
    for (size_t i = 0; i < lead; i++) {
        none += tack_magnitude(here[i]);
        sub += tack_magnitude(here[i]);
        up += tack_magnitude((unsigned char)(here[i] - above[i]));
        paeth += tack_magnitude((unsigned char)(here[i] - above[i]));
    }
    size_t i = step;
#if defined(__SSE2__)
    __m128i zero = _mm_setzero_si128(), sums_none = zero, sums_sub = zero, sums_up = zero, sums_paeth = zero;
    for (; i + 16 <= n; i += 16) {
        __m128i x = _mm_loadu_si128((const __m128i *)(here + i)), a = _mm_loadu_si128((const __m128i *)(here + i - step));
        __m128i b = _mm_loadu_si128((const __m128i *)(above + i)), c = _mm_loadu_si128((const __m128i *)(above + i - step));
        sums_none = _mm_add_epi64(sums_none, tack_magnitudes(x));
        sums_sub = _mm_add_epi64(sums_sub, tack_magnitudes(_mm_sub_epi8(x, a)));
        sums_up = _mm_add_epi64(sums_up, tack_magnitudes(_mm_sub_epi8(x, b)));
        sums_paeth = _mm_add_epi64(sums_paeth, tack_magnitudes(_mm_sub_epi8(x, tack_paeth16(a, b, c))));
    }
    none += tack_sum64(sums_none); sub += tack_sum64(sums_sub); up += tack_sum64(sums_up); paeth += tack_sum64(sums_paeth);
#endif
    for (; i < n; i++) {
        unsigned char x = here[i], a = here[i - step], b = above[i], c = above[i - step];
        none += tack_magnitude(x);
        sub += tack_magnitude((unsigned char)(x - a));
        up += tack_magnitude((unsigned char)(x - b));
        paeth += tack_magnitude((unsigned char)(x - tack_paeth(a, b, c)));
    }
    unsigned char *restrict o = out + 1;
    if (none <= sub && none <= up && none <= paeth) {
        memcpy(o, here, n);
    } else if (sub <= up && sub <= paeth) {
        out[0] = 1;
        memcpy(o, here, lead);
        for (size_t i = step; i < n; i++) o[i] = (unsigned char)(here[i] - here[i - step]);
    } else if (up <= paeth) {
        out[0] = 2;
        for (size_t i = 0; i < n; i++) o[i] = (unsigned char)(here[i] - above[i]);
    } else {
        out[0] = 4;
        for (size_t i = 0; i < lead; i++) o[i] = (unsigned char)(here[i] - above[i]);
        size_t i = step;
#if defined(__SSE2__)
        for (; i + 16 <= n; i += 16) {
            __m128i predicted = tack_paeth16(_mm_loadu_si128((const __m128i *)(here + i - step)),
                                             _mm_loadu_si128((const __m128i *)(above + i)),
                                             _mm_loadu_si128((const __m128i *)(above + i - step)));
            _mm_storeu_si128((__m128i *)(o + i), _mm_sub_epi8(_mm_loadu_si128((const __m128i *)(here + i)), predicted));
        }
#endif
        for (; i < n; i++) o[i] = (unsigned char)(here[i] - tack_paeth(here[i - step], above[i], above[i - step]));
    }
}

static size_t tack_row_bytes(const struct tack_band *band) {
    if (band->palette) return ((size_t)band->width * (size_t)band->palette->bits + 7) / 8;
    return (size_t)band->width * (band->layout == TACK_PNG_BGRX ? 3 : 4);
}

/* Filters rows first..<last of the band into out (1 + n bytes each), raw rows going through `raw` and `previous`. */
static void tack_filter_rows(const struct tack_band *band, int first, int last, unsigned char *out,
                             unsigned char *raw, unsigned char *previous) {
    size_t n = tack_row_bytes(band);
    int bpp = band->layout == TACK_PNG_BGRX ? 3 : 4;
    if (first > 0) tack_raw_row(band, first - 1, previous);
    else memset(previous, 0, n);
    for (int y = first; y < last; y++, out += n + 1) {
        tack_raw_row(band, y, raw);
        tack_filter_row(raw, previous, n, bpp, band->palette != NULL, out);
        unsigned char *swap = previous; previous = raw; raw = swap;
    }
}

/* Which of zlib's strategies suits the band, by compressing a sample of its first rows both ways: run-length
   matching wins on photos and gradients (their filtered bytes repeat only nearby), ordinary matching on text and
   palette screens (a glyph repeats a whole glyph away). */
static int tack_choose_strategy(const struct tack_band *band, unsigned char *raw, unsigned char *previous) {
    if (band->palette) return Z_DEFAULT_STRATEGY;
    int rows = band->last - band->first < 12 ? band->last - band->first : 12;
    size_t row_size = tack_row_bytes(band) + 1, size = row_size * (size_t)rows;
    unsigned char *sample = malloc(size);
    unsigned char *out = malloc(size + size / 8 + 1024);
    if (!sample || !out) { free(sample); free(out); return Z_RLE; }
    tack_filter_rows(band, band->first, band->first + rows, sample, raw, previous);
    size_t best_size = 0;
    int best = Z_RLE;
    const int strategies[2] = { Z_RLE, Z_DEFAULT_STRATEGY };
    for (int k = 0; k < 2; k++) {
        z_stream z;
        memset(&z, 0, sizeof z);
        if (deflateInit2(&z, band->level, Z_DEFLATED, -15, 8, strategies[k]) != Z_OK) continue;
        z.next_in = sample; z.avail_in = (uInt)size;
        z.next_out = out; z.avail_out = (uInt)(size + size / 8 + 1024);
        if (deflate(&z, Z_FINISH) == Z_STREAM_END && (best_size == 0 || z.total_out < best_size)) {
            best_size = z.total_out;
            best = strategies[k];
        }
        deflateEnd(&z);
    }
    free(sample);
    free(out);
    return best;
}

static void *tack_deflate_band(void *argument) {
    struct tack_band *band = (struct tack_band *)argument;
    size_t n = tack_row_bytes(band), row_size = n + 1;
    unsigned char *row = malloc(row_size), *raw = malloc(n), *previous = malloc(n);
    z_stream z;
    memset(&z, 0, sizeof z);
    int strategy = band->strategy >= 0 ? band->strategy
        : row && raw && previous ? tack_choose_strategy(band, raw, previous) : Z_RLE;
    if (!row || !raw || !previous || deflateInit2(&z, band->level, Z_DEFLATED, -15, 8, strategy) != Z_OK) {
        free(row); free(raw); free(previous);
        band->failed = 1;
        return NULL;
    }
    size_t capacity = deflateBound(&z, (uLong)(row_size * (size_t)(band->last - band->first))) + 64;
    band->out = malloc(capacity);
    if (!band->out) { band->failed = 1; deflateEnd(&z); free(row); free(raw); free(previous); return NULL; }
    z.next_out = band->out;
    z.avail_out = (uInt)capacity;
    unsigned long adler = adler32(0L, Z_NULL, 0);
    int bpp = band->layout == TACK_PNG_BGRX ? 3 : 4;
    if (band->first > 0) tack_raw_row(band, band->first - 1, previous);
    else memset(previous, 0, n);
    for (int y = band->first; y < band->last; y++) {
        tack_raw_row(band, y, raw);
        tack_filter_row(raw, previous, n, bpp, band->palette != NULL, row);
        unsigned char *swap = previous; previous = raw; raw = swap;
        adler = adler32(adler, row, (uInt)row_size);
        z.next_in = row;
        z.avail_in = (uInt)row_size;
        int flush = y + 1 < band->last ? Z_NO_FLUSH : (band->is_final ? Z_FINISH : Z_SYNC_FLUSH);
        int status = deflate(&z, flush);
        /* The output buffer is deflateBound-sized, so running out of it (or not finishing) is a failure. */
        int ended = flush == Z_FINISH ? status == Z_STREAM_END : status == Z_OK && z.avail_out > 0;
        if (!ended || z.avail_in != 0) { band->failed = 1; break; }
    }
    band->out_size = capacity - z.avail_out;
    band->adler = adler;
    band->raw_size = (unsigned long)(row_size * (size_t)(band->last - band->first));
    deflateEnd(&z);
    free(row); free(raw); free(previous);
    return NULL;
}

/* Bands are handed out from a shared counter, so a thread that drew flat terminal rows takes the next band while
   another is still on a photo: the work balances itself. */
struct tack_band_queue {
    struct tack_band *bands;
    int count;
    int next;
};

static void *tack_band_worker(void *argument) {
    struct tack_band_queue *queue = (struct tack_band_queue *)argument;
    for (;;) {
        int index = __atomic_fetch_add(&queue->next, 1, __ATOMIC_RELAXED);
        if (index >= queue->count) return NULL;
        tack_deflate_band(&queue->bands[index]);
    }
}

int tack_png_write_fd_parallel(const unsigned char *pixels, int width, int height, size_t stride, int layout,
                               int level, int strategy, int threads, int fd, char *message, size_t message_size) {
    if (message && message_size) message[0] = 0;
    if (threads < 1) threads = 1;
    if (threads > 16) threads = 16;
    /* Four bands per thread, each at least 16 rows; one band when single-threaded keeps the best compression. */
    int count = threads == 1 ? 1 : threads * 4;
    if (count > height / 16) count = height / 16 > 0 ? height / 16 : 1;
    struct tack_band bands[64];
    pthread_t workers[16];
    int started[16] = { 0 };
    struct tack_palette *palette = malloc(sizeof *palette);
    if (palette && tack_palette_build(pixels, width, height, stride, layout, palette) != 0) { free(palette); palette = NULL; }
    for (int i = 0; i < count; i++) {
        struct tack_band *band = &bands[i];
        memset(band, 0, sizeof *band);
        band->pixels = pixels; band->stride = stride; band->width = width; band->height = height;
        band->palette = palette;
        band->layout = layout; band->level = level; band->strategy = strategy;
        band->first = (int)((long)height * i / count);
        band->last = (int)((long)height * (i + 1) / count);
        band->is_final = i == count - 1;
    }
    struct tack_band_queue queue = { bands, count, 0 };
    int helpers = threads - 1 < count - 1 ? threads - 1 : count - 1;
    for (int i = 0; i < helpers; i++) started[i] = pthread_create(&workers[i], NULL, tack_band_worker, &queue) == 0;
    tack_band_worker(&queue);
    for (int i = 0; i < helpers; i++) if (started[i]) pthread_join(workers[i], NULL);
    int failed = 0;
    unsigned long adler = bands[0].adler;
    for (int i = 0; i < count; i++) {
        failed |= bands[i].failed;
        if (i > 0) adler = adler32_combine(adler, bands[i].adler, (z_off_t)bands[i].raw_size);
    }
    int result = -1;
    if (failed) {
        if (message && message_size) snprintf(message, message_size, "compression failed (out of memory?)");
        goto done;
    }

    struct tack_png_error error = { message, message_size };
    int copy = dup(fd);
    FILE *volatile file = copy >= 0 ? fdopen(copy, "wb") : NULL;
    if (!file) {
        if (copy >= 0) close(copy);
        if (message && message_size) snprintf(message, message_size, "cannot open the output");
        goto done;
    }
    png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, &error, tack_png_error, tack_png_warning);
    png_infop info = png ? png_create_info_struct(png) : NULL;
    if (!png || !info) {
        png_destroy_write_struct(&png, &info);
        fclose(file);
        goto done;
    }
    if (setjmp(png_jmpbuf(png))) {
        png_destroy_write_struct(&png, &info);
        fclose(file);
        goto done;
    }
    png_init_io(png, file);
    png_set_IHDR(png, info, (png_uint_32)width, (png_uint_32)height, palette ? palette->bits : 8,
                 palette ? PNG_COLOR_TYPE_PALETTE : layout == TACK_PNG_RGBA ? PNG_COLOR_TYPE_RGB_ALPHA : PNG_COLOR_TYPE_RGB,
                 PNG_INTERLACE_NONE, PNG_COMPRESSION_TYPE_BASE, PNG_FILTER_TYPE_BASE);
    if (palette) {
        png_color colors[256];
        png_byte alphas[256];
        int translucent = 0;
        for (int i = 0; i < palette->count; i++) {
            unsigned int key = palette->colors[i];
            if (layout == TACK_PNG_BGRX) {
                colors[i].red = (png_byte)(key >> 16); colors[i].green = (png_byte)(key >> 8); colors[i].blue = (png_byte)key;
                alphas[i] = 255;
            } else {
                colors[i].red = (png_byte)(key >> 24); colors[i].green = (png_byte)(key >> 16); colors[i].blue = (png_byte)(key >> 8);
                alphas[i] = (png_byte)key;
            }
            if (alphas[i] != 255) translucent = i + 1;
        }
        png_set_PLTE(png, info, colors, palette->count);
        /* tRNS lists alphas up to the last translucent entry; the rest are opaque. */
        if (translucent) png_set_tRNS(png, info, alphas, translucent, NULL);
    }
    png_write_info(png, info);
    /* zlib header: deflate, 32K window, check bits for "fastest" (0x78 0x01). */
    unsigned char header[2] = { 0x78, 0x01 };
    unsigned char trailer[4] = { (unsigned char)(adler >> 24), (unsigned char)(adler >> 16),
                                 (unsigned char)(adler >> 8), (unsigned char)adler };
    png_write_chunk(png, (png_const_bytep)"IDAT", header, 2);
    for (int i = 0; i < count; i++) png_write_chunk(png, (png_const_bytep)"IDAT", bands[i].out, bands[i].out_size);
    png_write_chunk(png, (png_const_bytep)"IDAT", trailer, 4);
    png_write_chunk(png, (png_const_bytep)"IEND", NULL, 0);
    png_destroy_write_struct(&png, &info);
    if (fflush(file) != 0 || ferror(file)) {
        fclose(file);
        if (message && message_size) snprintf(message, message_size, "writing the PNG failed");
        goto done;
    }
    result = fclose(file) == 0 ? 0 : -1;
done:
    for (int i = 0; i < count; i++) free(bands[i].out);
    free(palette);
    return result;
}

/* ---- Row-by-row reading ----------------------------------------------------------------------------------------
   Each entry point sets its own setjmp frame before calling libpng, so a libpng error anywhere ends in the entry
   point that was running, which reports it by return code; the reader is then only good for tack_png_reader_close. */

struct tack_png_reader {
    png_structp png;
    png_infop info;
    FILE *file;                 /* borrowed: the caller closes it */
    const unsigned char *data;  /* borrowed memory source */
    size_t size, offset;
    struct tack_png_error error;
    char message[256];
    int width, height, interlaced, has_alpha;
    unsigned long long bytes_read;
};

static void tack_png_read_memory(png_structp png, png_bytep out, png_size_t length) {
    struct tack_png_reader *reader = (struct tack_png_reader *)png_get_io_ptr(png);
    if (length > reader->size - reader->offset) png_error(png, "the file ends early");
    memcpy(out, reader->data + reader->offset, length);
    reader->offset += length;
}

static void tack_png_read_file(png_structp png, png_bytep out, png_size_t length) {
    struct tack_png_reader *reader = (struct tack_png_reader *)png_get_io_ptr(png);
    if (fread(out, 1, length, reader->file) != length) png_error(png, "the file ends early");
}

static struct tack_png_reader *tack_png_reader_new(void) {
    struct tack_png_reader *reader = calloc(1, sizeof *reader);
    if (!reader) return NULL;
    reader->error.message = reader->message;
    reader->error.size = sizeof reader->message;
    reader->png = png_create_read_struct(PNG_LIBPNG_VER_STRING, &reader->error, tack_png_error, tack_png_warning);
    reader->info = reader->png ? png_create_info_struct(reader->png) : NULL;
    if (!reader->png || !reader->info) {
        png_destroy_read_struct(&reader->png, &reader->info, NULL);
        free(reader);
        return NULL;
    }
    return reader;
}

struct tack_png_reader *tack_png_reader_open_memory(const unsigned char *data, size_t size) {
    struct tack_png_reader *reader = tack_png_reader_new();
    if (!reader) return NULL;
    reader->data = data;
    reader->size = size;
    png_set_read_fn(reader->png, reader, tack_png_read_memory);
    return reader;
}

struct tack_png_reader *tack_png_reader_open_file(FILE *file) {
    struct tack_png_reader *reader = tack_png_reader_new();
    if (!reader) return NULL;
    reader->file = file;
    png_set_read_fn(reader->png, reader, tack_png_read_file);
    return reader;
}

const char *tack_png_reader_message(const struct tack_png_reader *reader) { return reader->message; }

int tack_png_reader_header(struct tack_png_reader *reader, int *width, int *height, int *interlaced, int *has_alpha) {
    png_structp png = reader->png;
    png_infop info = reader->info;
    if (setjmp(png_jmpbuf(png))) return -1;
    /* Ancillary chunks (text, ICC, EXIF) are skipped by the decoder of a thumbnail: a 2 MB text chunk is not kept. */
    static const png_byte ignored[] = "tEXt\0zTXt\0iTXt\0iCCP\0eXIf\0sPLT\0tIME\0hIST\0pCAL\0sCAL\0oFFs\0pHYs\0bKGD\0sBIT\0cHRM";
    png_set_keep_unknown_chunks(png, PNG_HANDLE_CHUNK_NEVER, NULL, 0);
    png_set_keep_unknown_chunks(png, PNG_HANDLE_CHUNK_NEVER, ignored, (int)(sizeof ignored / 5));
    png_set_chunk_malloc_max(png, 1 << 20);
    png_read_info(png, info);
    png_uint_32 w = png_get_image_width(png, info), h = png_get_image_height(png, info);
    int color = png_get_color_type(png, info);
    int depth = png_get_bit_depth(png, info);
    reader->has_alpha = (color & PNG_COLOR_MASK_ALPHA) != 0 || png_get_valid(png, info, PNG_INFO_tRNS) != 0;
    /* Everything becomes 8-bit RGBA: palettes and low-bit grey expanded, tRNS to alpha, 16 bits rounded to 8. */
    png_set_expand(png);
    if (depth == 16) png_set_scale_16(png);
    if (!(color & PNG_COLOR_MASK_COLOR)) png_set_gray_to_rgb(png);
    if (!reader->has_alpha) png_set_filler(png, 0xFF, PNG_FILLER_AFTER);
    /* A file that declares its gamma is brought to sRGB (as browsers do); files without gAMA are taken as sRGB. */
    png_fixed_point gamma = 0;
    if (png_get_valid(png, info, PNG_INFO_sRGB) == 0 && png_get_gAMA_fixed(png, info, &gamma) != 0 && gamma > 0)
        png_set_gamma_fixed(png, PNG_GAMMA_sRGB, gamma);
    /* No png_set_interlace_handling: an interlaced file hands out the rows of each Adam7 pass's reduced image, so
       the caller can fold every pixel into a shrunken image without ever holding the full one. */
    png_read_update_info(png, info);
    if (png_get_rowbytes(png, info) != (size_t)w * 4) png_error(png, "unexpected row layout after transforms");
    reader->width = (int)w;
    reader->height = (int)h;
    reader->interlaced = png_get_interlace_type(png, info) != PNG_INTERLACE_NONE;
    *width = reader->width;
    *height = reader->height;
    *interlaced = reader->interlaced;
    *has_alpha = reader->has_alpha;
    return 0;
}

int tack_png_reader_row(struct tack_png_reader *reader, unsigned char *rgba, int *pass, int *row) {
    png_structp png = reader->png;
    if (setjmp(png_jmpbuf(png))) return -1;
    *pass = reader->interlaced ? (int)png_get_current_pass_number(png) : 0;
    *row = (int)png_get_current_row_number(png);
    png_read_row(png, rgba, NULL);
    return 0;
}

void tack_png_reader_close(struct tack_png_reader *reader) {
    if (!reader) return;
    png_destroy_read_struct(&reader->png, &reader->info, NULL);
    free(reader);
}
