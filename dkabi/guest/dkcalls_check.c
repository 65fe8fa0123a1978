/* Compile-time checks that dk/dkcalls.h and the stubs in dkcalls.S match DK_CALL_LIST: every
 * listed call has a prototype, the prototypes take as many arguments as the list has kinds,
 * there are DK_CALL_COUNT of them, and the stubs' numbering agrees with DK_CALL_BASE. */
#include <dk/dkcalls.h>

_Static_assert(DK_CALL_BASE == 0xD000, "dkcalls.S hard-codes the call base as 0xD000");

/* One enumerator per listed call: the list and DK_CALL_COUNT must agree. */
enum {
#define DK_X_ENUM(index, name, kinds, names) DK_CHECK_##name,
  DK_CALL_LIST(DK_X_ENUM)
#undef DK_X_ENUM
      DK_CHECK_COUNT
};
_Static_assert(DK_CHECK_COUNT == DK_CALL_COUNT, "DK_CALL_LIST and DK_CALL_COUNT disagree");

/* Every listed call has a prototype (taking the address of an undeclared name fails) and the
 * table of them has DK_CALL_COUNT entries. */
#define DK_X_ADDR(index, name, kinds, names) (const void*)&name,
static const void* const dk_call_table[] = {DK_CALL_LIST(DK_X_ADDR)};
#undef DK_X_ADDR
_Static_assert(sizeof dk_call_table / sizeof dk_call_table[0] == DK_CALL_COUNT,
               "dkcalls.h and DK_CALL_LIST disagree on the number of calls");

/* Arity: call each prototype with one literal 0 per listed argument kind (0 converts to any
 * integer or pointer parameter), so a prototype with too many or too few parameters fails to
 * compile. The function is never called. */
#define DK_NARGS(...) DK_NARGS_(_, ##__VA_ARGS__, 6, 5, 4, 3, 2, 1, 0)
#define DK_NARGS_(_, a, b, c, d, e, f, n, ...) n
#define DK_ZEROS_0
#define DK_ZEROS_1 0
#define DK_ZEROS_2 0, 0
#define DK_ZEROS_3 0, 0, 0
#define DK_ZEROS_4 0, 0, 0, 0
#define DK_ZEROS_5 0, 0, 0, 0, 0
#define DK_ZEROS_6 0, 0, 0, 0, 0, 0
#define DK_ZEROS_CAT(n) DK_ZEROS_##n
#define DK_ZEROS_N(n) DK_ZEROS_CAT(n)
#define DK_ZEROS(...) DK_ZEROS_N(DK_NARGS(__VA_ARGS__))

__attribute__((unused)) static void dk_check_arity(void) {
#define DK_X_CALL(index, name, kinds, names) (void)name(DK_ZEROS kinds);
  if (0) {
    DK_CALL_LIST(DK_X_CALL)
  }
#undef DK_X_CALL
  (void)dk_call_table;
}
