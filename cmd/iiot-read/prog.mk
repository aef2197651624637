# SPDX-License-Identifier: MIT
# prog.mk: extra libraries of iiot-read (Modbus, MQTT; pthreads for devices).
iiot-read_LIBS = $(MODBUS_LIBS) $(MOSQ_LIBS) -lpthread
