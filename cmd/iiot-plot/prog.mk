# SPDX-License-Identifier: MIT
# prog.mk: iiot-plot serves its page with libmicrohttpd and draws in threads.
iiot-plot_LIBS = $(MHD_LIBS) -lpthread
