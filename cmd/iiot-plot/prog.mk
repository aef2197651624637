# SPDX-License-Identifier: MIT
# prog.mk: iiot-plot serves its page with libmicrohttpd, reads the
# catalogue (whose point types come from libmodbus) and draws in threads.
iiot-plot_LIBS = $(MHD_LIBS) $(MODBUS_LIBS) -lpthread
