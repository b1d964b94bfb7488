# SPDX-License-Identifier: Apache-2.0
# Cross toolchain for Warden's bare-metal aarch64 images (hypervisor, secure-world
# firmware, test guests), using Debian's aarch64-linux-gnu GCC in freestanding mode.
# Only the compilers are chosen here; the freestanding flags live in
# cmake/images/CMakeLists.txt so that they never reach host targets.
set(CMAKE_SYSTEM_NAME Generic)
set(CMAKE_SYSTEM_PROCESSOR aarch64)

set(CMAKE_C_COMPILER aarch64-linux-gnu-gcc)
set(CMAKE_CXX_COMPILER aarch64-linux-gnu-g++)
set(CMAKE_ASM_COMPILER aarch64-linux-gnu-gcc)
set(CMAKE_OBJCOPY aarch64-linux-gnu-objcopy CACHE FILEPATH "objcopy for aarch64 images")

# Bare-metal: compiler checks must not try to link a hosted program.
set(CMAKE_TRY_COMPILE_TARGET_TYPE STATIC_LIBRARY)
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
