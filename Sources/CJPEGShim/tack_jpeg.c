#include "tack_jpeg.h"
#include <errno.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <jpeglib.h>
#include <jerror.h>

struct tack_error {
    struct jpeg_error_mgr base;
    jmp_buf jump;
    char *message;
    size_t message_size;
};

static void tack_error_exit(j_common_ptr info) {
    struct tack_error *error = (struct tack_error *)info->err;
    if (error->message && error->message_size) {
        (*info->err->format_message)(info, error->message);
    }
    longjmp(error->jump, 1);
}

/* Warnings (a truncated file, say) are not printed: the caller decides what a damaged file means. */
static void tack_output_message(j_common_ptr info) { (void)info; }

static void tack_errors(struct tack_error *error, char *message, size_t size) {
    jpeg_std_error(&error->base);
    error->base.error_exit = tack_error_exit;
    error->base.output_message = tack_output_message;
    error->message = size >= JMSG_LENGTH_MAX ? message : NULL;
    error->message_size = size;
    if (message && size) message[0] = 0;
}

int tack_jpeg_probe(const unsigned char *data, size_t size, int denom,
                    int *width, int *height, int *scaled_width, int *scaled_height,
                    char *message, size_t message_size) {
    struct jpeg_decompress_struct info;
    struct tack_error error;
    tack_errors(&error, message, message_size);
    info.err = &error.base;
    if (setjmp(error.jump)) {
        jpeg_destroy_decompress(&info);
        return -1;
    }
    jpeg_create_decompress(&info);
    jpeg_mem_src(&info, data, (unsigned long)size);
    jpeg_read_header(&info, TRUE);
    info.scale_num = 1;
    info.scale_denom = (unsigned int)denom;
    jpeg_calc_output_dimensions(&info);
    *width = (int)info.image_width;
    *height = (int)info.image_height;
    *scaled_width = (int)info.output_width;
    *scaled_height = (int)info.output_height;
    jpeg_destroy_decompress(&info);
    return 0;
}

/* Every component's DC coefficients have arrived to within one bit (an error of at most one quantisation step
   of the DC, about one grey level at 1/8 scale). */
static int tack_dc_known(j_decompress_ptr info) {
    if (!info->coef_bits) return 0;
    for (int c = 0; c < info->num_components; c++) {
        if (info->coef_bits[c][0] < 0 || info->coef_bits[c][0] > 1) return 0;
    }
    return 1;
}

int tack_jpeg_decode(const unsigned char *data, size_t size, int denom, unsigned char *rgba, size_t capacity,
                     int *width, int *height, char *message, size_t message_size) {
    struct jpeg_decompress_struct info;
    struct tack_error error;
    tack_errors(&error, message, message_size);
    info.err = &error.base;
    if (setjmp(error.jump)) {
        jpeg_destroy_decompress(&info);
        return -1;
    }
    jpeg_create_decompress(&info);
    jpeg_mem_src(&info, data, (unsigned long)size);
    jpeg_read_header(&info, TRUE);
    int cmyk = info.jpeg_color_space == JCS_CMYK || info.jpeg_color_space == JCS_YCCK;
    info.out_color_space = cmyk ? JCS_CMYK : JCS_EXT_RGBA;
    info.scale_num = 1;
    info.scale_denom = (unsigned int)denom;
    info.dct_method = JDCT_ISLOW;
    /* At 1/8 each output pixel is one block's DC coefficient alone, and a progressive JPEG sends every block's DC
       in its first scan(s): stop reading there and skip the AC scans, which are most of the file. */
    int dc_only = denom == 8 && jpeg_has_multiple_scans(&info);
    if (dc_only) {
        info.buffered_image = TRUE;
        info.do_block_smoothing = FALSE;
    }
    jpeg_start_decompress(&info);
    if (dc_only) {
        for (;;) {
            int status = jpeg_consume_input(&info);
            if (status == JPEG_REACHED_EOI || status == JPEG_SUSPENDED) break;
            if (status == JPEG_SCAN_COMPLETED && tack_dc_known(&info)) break;
        }
        jpeg_start_output(&info, info.input_scan_number);
    }
    size_t stride = (size_t)info.output_width * 4;
    if (stride * info.output_height > capacity) {
        if (message && message_size) snprintf(message, message_size, "output buffer too small");
        jpeg_destroy_decompress(&info);
        return -1;
    }
    /* Adobe's CMYK JPEGs store inverted values. */
    int inverted = cmyk && info.saw_Adobe_marker;
    while (info.output_scanline < info.output_height) {
        unsigned char *line = rgba + stride * info.output_scanline;
        JSAMPROW rows[1] = { line };
        jpeg_read_scanlines(&info, rows, 1);
        if (cmyk) {
            for (size_t x = 0; x < info.output_width; x++) {
                unsigned char *p = line + x * 4;
                unsigned int c = p[0], m = p[1], y = p[2], k = p[3];
                if (!inverted) { c = 255 - c; m = 255 - m; y = 255 - y; k = 255 - k; }
                p[0] = (unsigned char)((c * k + 127) / 255);
                p[1] = (unsigned char)((m * k + 127) / 255);
                p[2] = (unsigned char)((y * k + 127) / 255);
                p[3] = 255;
            }
        }
    }
    *width = (int)info.output_width;
    *height = (int)info.output_height;
    if (dc_only) {
        jpeg_finish_output(&info);   /* the AC scans are never read: no jpeg_finish_decompress */
    } else {
        jpeg_finish_decompress(&info);
    }
    jpeg_destroy_decompress(&info);
    return 0;
}

int tack_jpeg_encode(const unsigned char *rgba, int width, int height, int quality,
                     unsigned char **out, unsigned long *out_size, char *message, size_t message_size) {
    struct jpeg_compress_struct info;
    struct tack_error error;
    tack_errors(&error, message, message_size);
    info.err = &error.base;
    *out = NULL;
    *out_size = 0;
    if (setjmp(error.jump)) {
        jpeg_destroy_compress(&info);
        /* Not freed: libjpeg's memory destination may already have freed and replaced this buffer when it grew,
           and it only reports the new one at the end. A leak on this out-of-memory path beats a double free. */
        *out = NULL;
        return -1;
    }
    jpeg_create_compress(&info);
    jpeg_mem_dest(&info, out, out_size);
    info.image_width = (JDIMENSION)width;
    info.image_height = (JDIMENSION)height;
    info.input_components = 4;
    info.in_color_space = JCS_EXT_RGBA;
    jpeg_set_defaults(&info);
    jpeg_set_quality(&info, quality, TRUE);
    info.optimize_coding = TRUE;
    jpeg_start_compress(&info, TRUE);
    size_t stride = (size_t)width * 4;
    while (info.next_scanline < info.image_height) {
        JSAMPROW rows[1] = { (JSAMPROW)(rgba + stride * info.next_scanline) };
        jpeg_write_scanlines(&info, rows, 1);
    }
    jpeg_finish_compress(&info);
    jpeg_destroy_compress(&info);
    return 0;
}

int tack_jpeg_write_fd(const unsigned char *pixels, int width, int height, size_t stride, int layout, int quality,
                       int fd, char *message, size_t message_size) {
    struct jpeg_compress_struct info;
    struct tack_error error;
    tack_errors(&error, message, message_size);
    int copy = dup(fd);
    FILE *volatile file = copy >= 0 ? fdopen(copy, "wb") : NULL;
    if (!file) {
        if (copy >= 0) close(copy);
        if (message && message_size) snprintf(message, message_size, "cannot open the output");
        return -1;
    }
    info.err = &error.base;
    if (setjmp(error.jump)) {
        jpeg_destroy_compress(&info);
        fclose(file);
        return -1;
    }
    jpeg_create_compress(&info);
    jpeg_stdio_dest(&info, file);
    info.image_width = (JDIMENSION)width;
    info.image_height = (JDIMENSION)height;
    info.input_components = 4;
    info.in_color_space = layout == 1 ? JCS_EXT_BGRX : JCS_EXT_RGBA;
    jpeg_set_defaults(&info);
    jpeg_set_quality(&info, quality, TRUE);
    jpeg_start_compress(&info, TRUE);
    while (info.next_scanline < info.image_height) {
        JSAMPROW rows[1] = { (JSAMPROW)(pixels + stride * info.next_scanline) };
        jpeg_write_scanlines(&info, rows, 1);
    }
    jpeg_finish_compress(&info);
    jpeg_destroy_compress(&info);
    if (fflush(file) != 0 || ferror(file)) {
        fclose(file);
        if (message && message_size) snprintf(message, message_size, "writing the JPEG failed");
        return -1;
    }
    return fclose(file) == 0 ? 0 : -1;
}

/* ---- Encoding in bands on every core ---------------------------------------------------------------------------
   A JPEG's entropy-coded data can be cut only where the DC predictions restart: at restart markers. Each band of
   whole MCU rows is encoded as a JPEG of its own, with a restart marker after every MCU row (the same DRI every band
   writes), on its own thread. The file is the first band's header with the whole image's height, then every band's
   entropy-coded data, a restart marker between bands, and the markers renumbered RST0..RST7 in one sequence, as if
   one encoder had written them all. The DCT blocks are the ones a single encoder makes (chroma is subsampled within
   each 2x2 block, never across a band's edge), so the image decodes to exactly the same pixels. */

#include <pthread.h>

/* jpeg_set_defaults samples chroma 2x2 (4:2:0): an MCU is 16 rows tall, and bands are cut on multiples of it. */
#define TACK_JPEG_MCU_ROWS 16

/* libjpeg's destination writing into a growing heap buffer of our own (so a failure can free it). */
struct tack_buffer_dest {
    struct jpeg_destination_mgr base;
    unsigned char *data;
    size_t capacity, size;
};

static void tack_buffer_init(j_compress_ptr info) {
    struct tack_buffer_dest *dest = (struct tack_buffer_dest *)info->dest;
    dest->base.next_output_byte = dest->data;
    dest->base.free_in_buffer = dest->capacity;
}

static boolean tack_buffer_grow(j_compress_ptr info) {
    struct tack_buffer_dest *dest = (struct tack_buffer_dest *)info->dest;
    /* libjpeg calls this only with the buffer full (free_in_buffer is 0). */
    unsigned char *grown = realloc(dest->data, dest->capacity * 2);
    if (!grown) ERREXIT1(info, JERR_OUT_OF_MEMORY, 0);
    dest->data = grown;
    dest->base.next_output_byte = grown + dest->capacity;
    dest->base.free_in_buffer = dest->capacity;
    dest->capacity *= 2;
    return TRUE;
}

static void tack_buffer_term(j_compress_ptr info) {
    struct tack_buffer_dest *dest = (struct tack_buffer_dest *)info->dest;
    dest->size = dest->capacity - dest->base.free_in_buffer;
}

struct tack_jpeg_band {
    const unsigned char *pixels;
    size_t stride;
    int width, rows, layout, quality;
    struct tack_buffer_dest dest;
    int failed;
    char message[JMSG_LENGTH_MAX];
};

static void tack_jpeg_encode_band(struct tack_jpeg_band *band) {
    struct jpeg_compress_struct info;
    struct tack_error error;
    tack_errors(&error, band->message, sizeof band->message);
    info.err = &error.base;
    /* A screen's band compresses to a few bits a pixel at the qualities people use; the buffer grows if not. */
    band->dest.capacity = (size_t)band->width * (size_t)band->rows / 4 + 4096;
    band->dest.data = malloc(band->dest.capacity);
    if (!band->dest.data) {
        snprintf(band->message, sizeof band->message, "out of memory");
        band->failed = 1;
        return;
    }
    if (setjmp(error.jump)) {
        jpeg_destroy_compress(&info);
        band->failed = 1;
        return;
    }
    jpeg_create_compress(&info);
    band->dest.base.init_destination = tack_buffer_init;
    band->dest.base.empty_output_buffer = tack_buffer_grow;
    band->dest.base.term_destination = tack_buffer_term;
    info.dest = &band->dest.base;
    info.image_width = (JDIMENSION)band->width;
    info.image_height = (JDIMENSION)band->rows;
    info.input_components = 4;
    info.in_color_space = band->layout == 1 ? JCS_EXT_BGRX : JCS_EXT_RGBA;
    jpeg_set_defaults(&info);
    jpeg_set_quality(&info, band->quality, TRUE);
    /* The joined file carries band 0's tables for every band: they must be the standard ones, never per band. */
    info.optimize_coding = FALSE;
    info.restart_in_rows = 1;
    jpeg_start_compress(&info, TRUE);
    if (info.max_v_samp_factor * DCTSIZE != TACK_JPEG_MCU_ROWS) {
        snprintf(band->message, sizeof band->message, "unexpected MCU height %d", info.max_v_samp_factor * DCTSIZE);
        jpeg_destroy_compress(&info);
        band->failed = 1;
        return;
    }
    while (info.next_scanline < info.image_height) {
        JSAMPROW rows[TACK_JPEG_MCU_ROWS];
        JDIMENSION count = 0;
        while (count < TACK_JPEG_MCU_ROWS && info.next_scanline + count < info.image_height) {
            rows[count] = (JSAMPROW)(band->pixels + band->stride * (info.next_scanline + count));
            count++;
        }
        jpeg_write_scanlines(&info, rows, count);
    }
    jpeg_finish_compress(&info);
    jpeg_destroy_compress(&info);
}

struct tack_jpeg_queue {
    struct tack_jpeg_band *bands;
    int count;
    int next;
};

static void *tack_jpeg_band_worker(void *argument) {
    struct tack_jpeg_queue *queue = (struct tack_jpeg_queue *)argument;
    for (;;) {
        int index = __atomic_fetch_add(&queue->next, 1, __ATOMIC_RELAXED);
        if (index >= queue->count) return NULL;
        tack_jpeg_encode_band(&queue->bands[index]);
    }
}

/* Where a band's entropy-coded data starts (after its SOS segment), and where its SOF's height field is; -1 when
   the stream is not the SOI ... SOS ... EOI this file's encoder writes. */
static int tack_jpeg_layout(const unsigned char *data, size_t size, size_t *height_at, size_t *scan_at) {
    if (size < 4 || data[0] != 0xFF || data[1] != 0xD8 || data[size - 2] != 0xFF || data[size - 1] != 0xD9) return -1;
    *height_at = 0;
    for (size_t at = 2; at + 4 <= size;) {
        if (data[at] != 0xFF) return -1;
        unsigned marker = data[at + 1];
        size_t length = ((size_t)data[at + 2] << 8) | data[at + 3];
        if (marker == 0xC0 && length >= 7) *height_at = at + 5;
        if (marker == 0xDA) {
            *scan_at = at + 2 + length;
            return *height_at && *scan_at <= size - 2 ? 0 : -1;
        }
        at += 2 + length;
    }
    return -1;
}

/* Renumbers the restart markers in entropy-coded data from `next` on; returns the number after the last. In this
   data a 0xFF byte is always followed by 0x00 (a stuffed byte) or by a marker. */
static unsigned tack_jpeg_renumber(unsigned char *data, size_t size, unsigned next) {
    for (size_t i = 0; i + 1 < size; i++) {
        if (data[i] != 0xFF) continue;
        if (data[i + 1] >= 0xD0 && data[i + 1] <= 0xD7) data[i + 1] = (unsigned char)(0xD0 + (next++ & 7));
        i++;
    }
    return next;
}

static int tack_write_all(int fd, const unsigned char *data, size_t size) {
    while (size > 0) {
        ssize_t written = write(fd, data, size);
        if (written < 0) {
            if (errno == EINTR) continue;
            return -1;
        }
        data += written;
        size -= (size_t)written;
    }
    return 0;
}

int tack_jpeg_write_fd_parallel(const unsigned char *pixels, int width, int height, size_t stride, int layout,
                                int quality, int threads, int fd, char *message, size_t message_size) {
    if (threads > 16) threads = 16;
    int mcu_rows = (height + TACK_JPEG_MCU_ROWS - 1) / TACK_JPEG_MCU_ROWS;
    /* Two bands a thread balance a photo in one half against text in the other; each keeps at least 4 MCU rows. */
    int count = threads * 2 < mcu_rows / 4 ? threads * 2 : mcu_rows / 4;
    /* Past JPEG's largest size a band would pass libjpeg's check and the patched height would not: one encode
       refuses such an image with libjpeg's own error. */
    if (threads <= 1 || count < 2 || width > JPEG_MAX_DIMENSION || height > JPEG_MAX_DIMENSION)
        return tack_jpeg_write_fd(pixels, width, height, stride, layout, quality, fd, message, message_size);
    if (message && message_size) message[0] = 0;
    struct tack_jpeg_band bands[32];
    for (int i = 0; i < count; i++) {
        int first = mcu_rows * i / count * TACK_JPEG_MCU_ROWS;
        int last = i == count - 1 ? height : mcu_rows * (i + 1) / count * TACK_JPEG_MCU_ROWS;
        memset(&bands[i], 0, sizeof bands[i]);
        bands[i].pixels = pixels + stride * (size_t)first;
        bands[i].stride = stride;
        bands[i].width = width;
        bands[i].rows = last - first;
        bands[i].layout = layout;
        bands[i].quality = quality;
    }
    struct tack_jpeg_queue queue = { bands, count, 0 };
    pthread_t workers[16];
    int started[16] = { 0 };
    int helpers = threads - 1 < count - 1 ? threads - 1 : count - 1;
    for (int i = 0; i < helpers; i++) started[i] = pthread_create(&workers[i], NULL, tack_jpeg_band_worker, &queue) == 0;
    tack_jpeg_band_worker(&queue);
    for (int i = 0; i < helpers; i++) if (started[i]) pthread_join(workers[i], NULL);

    int result = -1;
    size_t height_at = 0, scan_at[32];
    for (int i = 0; i < count; i++) {
        if (bands[i].failed) {
            if (message && message_size) snprintf(message, message_size, "%s", bands[i].message);
            goto done;
        }
        size_t band_height_at;
        int layout_ok = tack_jpeg_layout(bands[i].dest.data, bands[i].dest.size, i == 0 ? &height_at : &band_height_at,
                                         &scan_at[i]) == 0;
        /* Every band's header must be band 0's but for its height: the same tables, the same restart interval. */
        if (layout_ok && i > 0) {
            const unsigned char *first = bands[0].dest.data, *this = bands[i].dest.data;
            layout_ok = scan_at[i] == scan_at[0] && band_height_at == height_at
                && memcmp(first, this, height_at) == 0
                && memcmp(first + height_at + 2, this + height_at + 2, scan_at[0] - height_at - 2) == 0;
        }
        if (!layout_ok) {
            if (message && message_size) snprintf(message, message_size, "a band's JPEG stream has an unexpected layout");
            goto done;
        }
    }
    unsigned char *header = bands[0].dest.data;
    header[height_at] = (unsigned char)(height >> 8);
    header[height_at + 1] = (unsigned char)height;
    if (tack_write_all(fd, header, scan_at[0]) != 0) goto failed_write;
    unsigned next = 0;
    for (int i = 0; i < count; i++) {
        if (i > 0) {
            unsigned char restart[2] = { 0xFF, (unsigned char)(0xD0 + (next++ & 7)) };
            if (tack_write_all(fd, restart, 2) != 0) goto failed_write;
        }
        unsigned char *scan = bands[i].dest.data + scan_at[i];
        size_t scan_size = bands[i].dest.size - 2 - scan_at[i];
        next = tack_jpeg_renumber(scan, scan_size, next);
        if (tack_write_all(fd, scan, scan_size) != 0) goto failed_write;
    }
    static const unsigned char end[2] = { 0xFF, 0xD9 };
    if (tack_write_all(fd, end, 2) != 0) goto failed_write;
    result = 0;
    goto done;
failed_write:
    if (message && message_size) snprintf(message, message_size, "writing the JPEG failed");
done:
    for (int i = 0; i < count; i++) free(bands[i].dest.data);
    return result;
}

void tack_jpeg_free(unsigned char *buffer) { free(buffer); }

/* ---- Scanline reading ------------------------------------------------------------------------------------------
   The reader lives on the heap with its jmp_buf; every entry point sets the jump target before calling libjpeg,
   so an error ends in the entry point that was running, which returns -1 with the message in the reader. */

struct tack_jpeg_reader {
    struct jpeg_decompress_struct info;
    struct tack_error error;
    char message[JMSG_LENGTH_MAX + 64];
    int created, started, dc_only, cmyk, inverted;
};

static struct tack_jpeg_reader *tack_jpeg_reader_new(void) {
    struct tack_jpeg_reader *reader = calloc(1, sizeof *reader);
    if (!reader) return NULL;
    tack_errors(&reader->error, reader->message, sizeof reader->message);
    reader->info.err = &reader->error.base;
    if (setjmp(reader->error.jump)) {
        free(reader);
        return NULL;
    }
    jpeg_create_decompress(&reader->info);
    reader->created = 1;
    return reader;
}

struct tack_jpeg_reader *tack_jpeg_reader_open_memory(const unsigned char *data, size_t size) {
    struct tack_jpeg_reader *reader = tack_jpeg_reader_new();
    if (!reader) return NULL;
    if (setjmp(reader->error.jump)) { tack_jpeg_reader_close(reader); return NULL; }
    jpeg_mem_src(&reader->info, data, (unsigned long)size);
    return reader;
}

struct tack_jpeg_reader *tack_jpeg_reader_open_file(FILE *file) {
    struct tack_jpeg_reader *reader = tack_jpeg_reader_new();
    if (!reader) return NULL;
    if (setjmp(reader->error.jump)) { tack_jpeg_reader_close(reader); return NULL; }
    jpeg_stdio_src(&reader->info, file);
    return reader;
}

const char *tack_jpeg_reader_message(const struct tack_jpeg_reader *reader) { return reader->message; }

int tack_jpeg_reader_progressive(struct tack_jpeg_reader *reader) {
    if (setjmp(reader->error.jump)) return 0;
    return jpeg_has_multiple_scans(&reader->info) ? 1 : 0;
}

int tack_jpeg_reader_header(struct tack_jpeg_reader *reader, int *width, int *height) {
    if (setjmp(reader->error.jump)) return -1;
    jpeg_read_header(&reader->info, TRUE);
    *width = (int)reader->info.image_width;
    *height = (int)reader->info.image_height;
    return 0;
}

int tack_jpeg_reader_start(struct tack_jpeg_reader *reader, int denom, int *width, int *height) {
    j_decompress_ptr info = &reader->info;
    if (setjmp(reader->error.jump)) return -1;
    reader->cmyk = info->jpeg_color_space == JCS_CMYK || info->jpeg_color_space == JCS_YCCK;
    info->out_color_space = reader->cmyk ? JCS_CMYK : JCS_EXT_RGBA;
    info->scale_num = 1;
    info->scale_denom = (unsigned int)denom;
    info->dct_method = JDCT_ISLOW;
    /* As in tack_jpeg_decode: at 1/8 a progressive file is done once every block's DC has arrived. */
    reader->dc_only = denom == 8 && jpeg_has_multiple_scans(info);
    if (reader->dc_only) {
        info->buffered_image = TRUE;
        info->do_block_smoothing = FALSE;
    }
    jpeg_start_decompress(info);
    if (reader->dc_only) {
        for (;;) {
            int status = jpeg_consume_input(info);
            if (status == JPEG_REACHED_EOI || status == JPEG_SUSPENDED) break;
            if (status == JPEG_SCAN_COMPLETED && tack_dc_known(info)) break;
        }
        jpeg_start_output(info, info->input_scan_number);
    }
    reader->inverted = reader->cmyk && info->saw_Adobe_marker;
    reader->started = 1;
    *width = (int)info->output_width;
    *height = (int)info->output_height;
    return 0;
}

int tack_jpeg_reader_rows(struct tack_jpeg_reader *reader, unsigned char *rgba, int count, int *got) {
    j_decompress_ptr info = &reader->info;
    *got = 0;
    if (setjmp(reader->error.jump)) return -1;
    size_t stride = (size_t)info->output_width * 4;
    JSAMPROW rows[16];
    if (count > 16) count = 16;
    int remaining = (int)(info->output_height - info->output_scanline);
    if (count > remaining) count = remaining;
    for (int i = 0; i < count; i++) rows[i] = rgba + stride * (size_t)i;
    int done = 0;
    while (done < count) {
        int read = (int)jpeg_read_scanlines(info, rows + done, (JDIMENSION)(count - done));
        if (read <= 0) break; /* a suspending source only; ours never suspend */
        done += read;
    }
    if (reader->cmyk) {
        for (size_t i = 0; i < (size_t)done * info->output_width; i++) {
            unsigned char *p = rgba + i * 4;
            unsigned int c = p[0], m = p[1], y = p[2], k = p[3];
            if (!reader->inverted) { c = 255 - c; m = 255 - m; y = 255 - y; k = 255 - k; }
            p[0] = (unsigned char)((c * k + 127) / 255);
            p[1] = (unsigned char)((m * k + 127) / 255);
            p[2] = (unsigned char)((y * k + 127) / 255);
            p[3] = 255;
        }
    }
    *got = done;
    return 0;
}

void tack_jpeg_reader_close(struct tack_jpeg_reader *reader) {
    if (!reader) return;
    /* No finish: the rest of the file (or the AC scans) is not needed; destroy frees everything either way. */
    if (reader->created) jpeg_destroy_decompress(&reader->info);
    free(reader);
}
