/* The small parts of stdlib.h: abs, qsort. */
#include <stdlib.h>

int abs(int v) {
  return v < 0 ? -v : v;
}
long labs(long v) {
  return v < 0 ? -v : v;
}
long long llabs(long long v) {
  return v < 0 ? -v : v;
}

static void swap_bytes(char* a, char* b, size_t size) {
  while (size--) {
    char t = *a;
    *a++ = *b;
    *b++ = t;
  }
}

/* Heapsort: no recursion, no allocation, O(n log n) on every input. */
static void sift_down(char* base, size_t root, size_t count, size_t size,
                      int (*cmp)(const void*, const void*)) {
  for (;;) {
    size_t child = 2 * root + 1;
    if (child >= count) return;
    if (child + 1 < count && cmp(base + child * size, base + (child + 1) * size) < 0) child++;
    if (cmp(base + root * size, base + child * size) >= 0) return;
    swap_bytes(base + root * size, base + child * size, size);
    root = child;
  }
}

void qsort(void* base, size_t count, size_t size, int (*cmp)(const void*, const void*)) {
  char* b = base;
  if (count < 2 || size == 0) return;
  for (size_t i = count / 2; i-- > 0;) sift_down(b, i, count, size, cmp);
  for (size_t end = count - 1; end > 0; end--) {
    swap_bytes(b, b + end * size, size);
    sift_down(b, 0, end, size, cmp);
  }
}
