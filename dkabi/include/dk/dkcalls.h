/* The 45 Dk downcalls as C functions, one per row of ABI.md section 3, in its argument order.
 * Each is a four-instruction stub generated from DK_CALL_LIST in the guest runtime
 * (dkabi/guest/dkcalls.S), which libos, the conformance cases and the test guests share; every
 * call returns 0 or -DK_E_*. The calls that "do not return" still return a status here, so a
 * host that refuses them (a bad context pointer, say) is visible to the caller. */
#ifndef DK_DKCALLS_H
#define DK_DKCALLS_H

#include <dk/abi.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Virtual memory */
dk_status_t DkVirtualMemoryAllocate(void** addr, uint64_t size, uint32_t alloc, uint32_t prot);
dk_status_t DkVirtualMemoryFree(void* addr, uint64_t size);
dk_status_t DkVirtualMemoryProtect(void* addr, uint64_t size, uint32_t prot);

/* Threads */
dk_status_t DkThreadCreate(uint64_t arg, void* stack_top, dk_handle_t* thread);
dk_status_t DkThreadExit(void);
dk_status_t DkThreadDelayExecution(uint64_t* ns);
dk_status_t DkThreadYieldExecution(void);
dk_status_t DkThreadResume(dk_handle_t thread);

/* Synchronization */
dk_status_t DkSemaphoreCreate(uint32_t initial, uint32_t max, dk_handle_t* sem);
dk_status_t DkSemaphoreRelease(dk_handle_t sem, uint32_t count, uint32_t* previous);
dk_status_t DkSemaphorePeek(dk_handle_t sem, uint32_t* count);
dk_status_t DkNotificationEventCreate(uint32_t signaled, dk_handle_t* ev);
dk_status_t DkSynchronizationEventCreate(uint32_t signaled, dk_handle_t* ev);
dk_status_t DkEventSet(dk_handle_t ev);
dk_status_t DkEventClear(dk_handle_t ev);
dk_status_t DkObjectsWaitAny(uint32_t n, const dk_handle_t* handles, uint64_t timeout_ns,
                             uint32_t* index);

/* Processes */
dk_status_t DkProcessCreate(const char* uri, const char* args, uint64_t args_len,
                            dk_handle_t* process, dk_handle_t* stream);
dk_status_t DkProcessExit(int64_t code);
dk_status_t DkProcessExitCodeQuery(dk_handle_t process, int64_t* code);
dk_status_t DkProcessSnapshot(dk_handle_t stream, uint64_t flags, uint32_t* restored);

/* Streams */
dk_status_t DkStreamOpen(const char* uri, uint32_t access, uint32_t share, uint32_t create,
                         uint32_t options, dk_handle_t* stream);
dk_status_t DkStreamRead(dk_handle_t stream, uint64_t offset, void* buf, uint64_t* count);
dk_status_t DkStreamWrite(dk_handle_t stream, uint64_t offset, const void* buf, uint64_t* count);
dk_status_t DkStreamMap(dk_handle_t stream, void** addr, uint32_t prot, uint64_t offset,
                        uint64_t size);
dk_status_t DkStreamUnmap(void* addr, uint64_t size);
dk_status_t DkStreamSetLength(dk_handle_t stream, uint64_t length);
dk_status_t DkStreamFlush(dk_handle_t stream);
dk_status_t DkStreamDelete(dk_handle_t stream, uint32_t which);
dk_status_t DkStreamWaitForClient(dk_handle_t server, dk_handle_t* client);
dk_status_t DkStreamAttributesQuery(const char* uri, dk_stream_attr* attr);
dk_status_t DkStreamAttributesQueryByHandle(dk_handle_t stream, dk_stream_attr* attr);
dk_status_t DkStreamAttributesSetByHandle(dk_handle_t stream, const dk_stream_attr* attr);
dk_status_t DkStreamGetName(dk_handle_t stream, char* buf, uint64_t* size);
dk_status_t DkStreamChangeName(dk_handle_t stream, const char* new_uri);

/* Handles */
dk_status_t DkObjectReference(dk_handle_t object, dk_handle_t* copy);
dk_status_t DkObjectClose(dk_handle_t object);
dk_status_t DkSendHandle(dk_handle_t pipe, dk_handle_t cargo);
dk_status_t DkReceiveHandle(dk_handle_t pipe, dk_handle_t* cargo);

/* Miscellaneous */
dk_status_t DkSystemTimeQuery(uint64_t* ns);
dk_status_t DkRandomBitsRead(void* buf, uint64_t size);
dk_status_t DkInstructionCacheFlush(const void* addr, uint64_t size);
dk_status_t DkSegmentRegisterSet(uint32_t reg, uint64_t base);
dk_status_t DkExceptionReturn(const dk_context* ctx);
dk_status_t DkSystemInfoQuery(dk_system_info* info, uint64_t size);
dk_status_t DkDebugOutput(const char* buf, uint64_t size);

/* A downcall with every argument register given (dkabi/guest/dkraw.S): for numbers outside
 * the table and arguments a typed stub would not pass. */
dk_status_t dk_raw_call(uint64_t number, uint64_t a1, uint64_t a2, uint64_t a3, uint64_t a4,
                        uint64_t a5, uint64_t a6);

#ifdef __cplusplus
}
#endif
#endif /* DK_DKCALLS_H */
