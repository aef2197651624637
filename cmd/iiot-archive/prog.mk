# SPDX-License-Identifier: MIT
# prog.mk: iiot-archive links SQLite.
iiot-archive_LIBS = $(SQLITE_LIBS) $(PQ_LIBS)
