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

int tack_png_write_fd(const unsigned char *pixels, int width, int height, size_t stride, int layout,
                      int level, int filters, int strategy, int fd, char *message, size_t message_size) {
    struct tack_png_error error = { message, message_size };
    if (message && message_size) message[0] = 0;
    int copy = dup(fd);
    if (copy < 0) {
        if (message && message_size) snprintf(message, message_size, "cannot duplicate the output descriptor");
        return -1;
    }
    FILE *volatile file = fdopen(copy, "wb");
    if (!file) {
        close(copy);
        if (message && message_size) snprintf(message, message_size, "cannot open the output");
        return -1;
    }
    png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, &error, tack_png_error, tack_png_warning);
    png_infop info = png ? png_create_info_struct(png) : NULL;
    if (!png || !info) {
        png_destroy_write_struct(&png, &info);
        fclose(file);
        if (message && message_size) snprintf(message, message_size, "out of memory");
        return -1;
    }
    if (setjmp(png_jmpbuf(png))) {
        png_destroy_write_struct(&png, &info);
        fclose(file);
        return -1;
    }
    png_init_io(png, file);
    png_set_compression_level(png, level);
    png_set_compression_strategy(png, strategy);
    png_set_filter(png, PNG_FILTER_TYPE_BASE, filters);
    int colour = layout == TACK_PNG_RGBA ? PNG_COLOR_TYPE_RGB_ALPHA : PNG_COLOR_TYPE_RGB;
    png_set_IHDR(png, info, (png_uint_32)width, (png_uint_32)height, 8, colour, PNG_INTERLACE_NONE,
                 PNG_COMPRESSION_TYPE_BASE, PNG_FILTER_TYPE_BASE);
    png_write_info(png, info);
    if (layout == TACK_PNG_BGRX) {
        png_set_bgr(png);
        png_set_filler(png, 0, PNG_FILLER_AFTER); /* on write: strip the fourth byte */
    }
    for (int y = 0; y < height; y++) {
        png_write_row(png, (png_const_bytep)(pixels + stride * (size_t)y));
    }
    png_write_end(png, NULL);
    png_destroy_write_struct(&png, &info);
    if (fflush(file) != 0 || ferror(file)) {
        fclose(file);
        if (message && message_size) snprintf(message, message_size, "writing the PNG failed");
        return -1;
    }
    return fclose(file) == 0 ? 0 : -1;
}
