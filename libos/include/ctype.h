/* Character classes of the libos C library: the "C" locale only, so EOF and bytes >= 0x80
 * are in no class. */
#ifndef DK_LIBC_CTYPE_H
#define DK_LIBC_CTYPE_H

#ifdef __cplusplus
extern "C" {
#endif

int isalnum(int c);
int isalpha(int c);
int isblank(int c);
int iscntrl(int c);
int isdigit(int c);
int isgraph(int c);
int islower(int c);
int isprint(int c);
int ispunct(int c);
int isspace(int c);
int isupper(int c);
int isxdigit(int c);
int tolower(int c);
int toupper(int c);

#ifdef __cplusplus
}
#endif
#endif /* DK_LIBC_CTYPE_H */
