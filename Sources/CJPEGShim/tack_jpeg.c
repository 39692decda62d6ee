#include "tack_jpeg.h"
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <jpeglib.h>

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
