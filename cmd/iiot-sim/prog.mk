# SPDX-License-Identifier: MIT
# prog.mk: extra libraries of iiot-sim (a libmodbus server).
iiot-sim_LIBS = $(MODBUS_LIBS)
