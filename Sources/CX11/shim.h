#include <sys/ipc.h>
#include <sys/shm.h>
#include <X11/Xlib.h>
#include <X11/Xutil.h>
#include <X11/Xatom.h>
#include <X11/cursorfont.h>
#include <X11/keysym.h>
#include <X11/extensions/XShm.h>
#include <X11/extensions/Xrandr.h>
#include <X11/extensions/Xfixes.h>

/* Macros Swift cannot import, as functions. */
static inline int tack_x_destroy_image(XImage *image) { return XDestroyImage(image); }
static inline unsigned long tack_x_get_pixel(XImage *image, int x, int y) { return XGetPixel(image, x, y); }
static inline void *tack_shm_failed(void) { return (void *)-1; }
