# SPDX-License-Identifier: MIT
# prog.mk: extra libraries of iiot-publish (MQTT, and SQLite for its queue).
iiot-publish_LIBS = $(MOSQ_LIBS) $(SQLITE_LIBS)
