/* Directories on "dir:" streams: readdir reads entry names with DkStreamRead, the offset
 * counting entries, so a DIR needs no position beyond a number. Dk lists no "." or "..". */
#ifndef DK_LIBC_DIRENT_H
#define DK_LIBC_DIRENT_H

#include <sys/types.h>

#ifdef __cplusplus
extern "C" {
#endif

#define DT_UNKNOWN 0

struct dirent {
  ino_t d_ino; /* the entry's index in the listing, plus 1 */
  off_t d_off;
  unsigned short d_reclen;
  unsigned char d_type; /* always DT_UNKNOWN: Dk lists names only */
  char d_name[256];
};

typedef struct dk_dir DIR;

DIR* opendir(const char* path);
struct dirent* readdir(DIR* dir);
int closedir(DIR* dir);
void rewinddir(DIR* dir);

#ifdef __cplusplus
}
#endif
#endif /* DK_LIBC_DIRENT_H */
