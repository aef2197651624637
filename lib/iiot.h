/* SPDX-License-Identifier: MIT */
/* iiot.h: the umbrella header of libiiot, the suite's shared library. */
#ifndef IIOT_H
#define IIOT_H

#include "iiot_buf.h"
#include "iiot_db.h"
#include "iiot_expr.h"
#include "iiot_fmt.h"
#include "iiot_io.h"
#include "iiot_log.h"
#include "iiot_map.h"
#include "iiot_mb.h"
#include "iiot_mqtt.h"
#include "iiot_opt.h"
#include "iiot_rec.h"
#include "iiot_series.h"
#include "iiot_sha256.h"
#include "iiot_sig.h"
#include "iiot_thresh.h"
#include "iiot_time.h"

#endif /* IIOT_H */
