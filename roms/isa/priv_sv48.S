# Sv48 paging: every Sv39 case of priv_sv39.S, with its tables hung below a
# fourth level, plus a 512 GiB page, a misaligned one and Sv48's own
# canonical-address rule.  Privileged spec v1.12, 4.5 (Sv48).

#define VM_SV48 1
#include "priv_sv39.S"
