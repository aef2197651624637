/* SPDX-License-Identifier: MIT */
/* sim.h: the simulated plant of iiot-sim: register banks and signals. */
#ifndef SIM_H
#define SIM_H

#include <stddef.h>
#include <stdint.h>

#include <modbus.h>

struct iiot_buf;
struct iiot_map;
struct plant;

/* The built-in catalogue: scripts/plant/press-shop-sim.map. */
extern const char plant_default_map[];

/*
 * Make a plant serving the points of map (borrowed; must outlive the
 * plant), with noise from seed.  Returns NULL with errno ENOMEM.
 */
struct plant *plant_new(const struct iiot_map *map, uint64_t seed);
void plant_free(struct plant *pl);

/*
 * Schedule an anomaly: NAME[:SOURCE][@START][+DURATION][%PERIOD], NAME
 * one of oil_hot, pressure_drop, vibration, power_peak, motor_stop.
 * Returns 0, or -1 with errno EINVAL.
 */
int plant_add_anomaly(struct plant *pl, const char *spec);

/* The default schedule, repeated every 10 minutes. */
void plant_default_anomalies(struct plant *pl);

/*
 * Advance the signals to t ms after the start and write them into the
 * register banks.  Points without a model (sim=none) are left alone,
 * so what clients write there stays.
 */
void plant_step(struct plant *pl, int64_t t);

/*
 * The register bank of a unit id, or NULL if the plant has none.
 */
modbus_mapping_t *plant_bank(struct plant *pl, int unit);

/*
 * Append the current true value of every point with a model as JSON
 * records (time ts, ms since the epoch) to out.
 */
void plant_records(struct plant *pl, int64_t ts, struct iiot_buf *out);

/*
 * Describe the anomaly schedule on one line each into out.
 */
void plant_schedule(struct plant *pl, struct iiot_buf *out);

#endif /* SIM_H */
