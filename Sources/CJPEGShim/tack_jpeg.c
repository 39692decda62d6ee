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
