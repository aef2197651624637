# SPDX-License-Identifier: MIT
# prog.mk: iiot-alert links libcurl (mail, webhooks), libmodbus (stack
# lights), libmosquitto (MQTT) and threads (the action workers).
iiot-alert_LIBS = $(CURL_LIBS) $(MODBUS_LIBS) $(MOSQ_LIBS) -lpthread
