// Floating-point n-body simulation in double precision: 12 bodies with pseudo-random positions,
// velocities and masses around a heavy central one, integrated with leapfrog (kick-drift-kick)
// under softened gravity (G = 1). The checksum folds the bit patterns of the total energy
// before and after and of the final positions, so it proves bit-exact IEEE 754 arithmetic:
// +, -, *, / and sqrt are correctly rounded on the guest and the host alike (and the build
// forbids fused multiply-adds, which would round differently).
#include <math.h>

#include "bench.h"

#define STEPS 35000
#define QUICK_STEPS 2000
#define BODIES 12
#define SOFTENING2 1e-4
#define DT 1e-3
#define EXPECTED_FULL 0x5e1c4a8447db7a2eull
#define EXPECTED_QUICK 0xc2b9b626a04c2dc2ull

struct body {
  double x, y, z, vx, vy, vz, mass;
};

static struct body bodies[BODIES];

// A double in [lo, hi), from 53 random bits: exact on every host.
static double uniform(uint64_t* rng, double lo, double hi) {
  const double unit = (double)(bench_rand(rng) >> 11) * (1.0 / 9007199254740992.0);
  return lo + (hi - lo) * unit;
}

static void init(void) {
  uint64_t rng = 0x0B0D1E5;
  bodies[0] = (struct body){0, 0, 0, 0, 0, 0, 100.0};
  for (int i = 1; i < BODIES; ++i) {
    struct body* b = &bodies[i];
    const double r = uniform(&rng, 1.0, 5.0);
    const double angle_x = uniform(&rng, -1.0, 1.0), angle_y = uniform(&rng, -1.0, 1.0);
    const double norm = sqrt(angle_x * angle_x + angle_y * angle_y) + 1e-9;
    b->x = r * angle_x / norm;
    b->y = r * angle_y / norm;
    b->z = uniform(&rng, -0.1, 0.1);
    // Roughly circular orbits around the centre: v = sqrt(M / r), perpendicular to the radius.
    const double v = sqrt(100.0 / r);
    b->vx = -v * angle_y / norm;
    b->vy = v * angle_x / norm;
    b->vz = uniform(&rng, -0.05, 0.05);
    b->mass = uniform(&rng, 0.01, 0.5);
  }
  // Move to the centre-of-momentum frame.
  double px = 0, py = 0, pz = 0, m = 0;
  for (int i = 0; i < BODIES; ++i) {
    px += bodies[i].vx * bodies[i].mass;
    py += bodies[i].vy * bodies[i].mass;
    pz += bodies[i].vz * bodies[i].mass;
    m += bodies[i].mass;
  }
  for (int i = 0; i < BODIES; ++i) {
    bodies[i].vx -= px / m;
    bodies[i].vy -= py / m;
    bodies[i].vz -= pz / m;
  }
}

static double energy(void) {
  double e = 0;
  for (int i = 0; i < BODIES; ++i) {
    const struct body* a = &bodies[i];
    e += 0.5 * a->mass * (a->vx * a->vx + a->vy * a->vy + a->vz * a->vz);
    for (int j = i + 1; j < BODIES; ++j) {
      const struct body* b = &bodies[j];
      const double dx = a->x - b->x, dy = a->y - b->y, dz = a->z - b->z;
      e -= a->mass * b->mass / sqrt(dx * dx + dy * dy + dz * dz + SOFTENING2);
    }
  }
  return e;
}

// Velocities change by dt times the acceleration.
static void kick(double dt) {
  for (int i = 0; i < BODIES; ++i) {
    struct body* a = &bodies[i];
    for (int j = i + 1; j < BODIES; ++j) {
      struct body* b = &bodies[j];
      const double dx = a->x - b->x, dy = a->y - b->y, dz = a->z - b->z;
      const double d2 = dx * dx + dy * dy + dz * dz + SOFTENING2;
      const double mag = dt / (d2 * sqrt(d2));
      a->vx -= dx * b->mass * mag;
      a->vy -= dy * b->mass * mag;
      a->vz -= dz * b->mass * mag;
      b->vx += dx * a->mass * mag;
      b->vy += dy * a->mass * mag;
      b->vz += dz * a->mass * mag;
    }
  }
}

static void drift(double dt) {
  for (int i = 0; i < BODIES; ++i) {
    bodies[i].x += dt * bodies[i].vx;
    bodies[i].y += dt * bodies[i].vy;
    bodies[i].z += dt * bodies[i].vz;
  }
}

static uint64_t bits(double d) {
  uint64_t u;
  memcpy(&u, &d, sizeof u);
  return u;
}

int main(int argc, char** argv) {
  const int quick = bench_quick(argc, argv);
  const int steps = quick ? QUICK_STEPS : STEPS;
  init();
  const double before = energy();
  kick(DT / 2);
  for (int s = 0; s < steps; ++s) {
    drift(DT);
    kick(s + 1 < steps ? DT : DT / 2);
  }
  const double after = energy();

  uint64_t sum = BENCH_MIX_INIT;
  sum = bench_mix(sum, bits(before));
  sum = bench_mix(sum, bits(after));
  for (int i = 0; i < BODIES; ++i) {
    sum = bench_mix(sum, bits(bodies[i].x));
    sum = bench_mix(sum, bits(bodies[i].y));
    sum = bench_mix(sum, bits(bodies[i].z));
  }
  // Leapfrog conserves energy well: a large drift means broken arithmetic, checksum aside.
  const double drift_ppm = fabs((after - before) / before) * 1e6;
  printf("nbody: energy %d.%06d -> relative change %d ppm\n", (int)before,
         (int)(fabs(before - (int)before) * 1e6), (int)drift_ppm);
  return bench_report("nbody", quick, sum, EXPECTED_FULL, EXPECTED_QUICK);
}
