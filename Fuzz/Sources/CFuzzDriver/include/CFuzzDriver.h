// libFuzzer's documented entry for programs that own `main` (LLVM >= 11). SwiftPM links
// executables with `--defsym main=<Module>_main`, which `-parse-as-library` never emits, so each
// fuzz target defines `<Module>_main` itself and hands control to libFuzzer through this.
#include <stddef.h>
#include <stdint.h>

int LLVMFuzzerRunDriver(int *argc, char ***argv, int (*UserCb)(const uint8_t *Data, size_t Size));
