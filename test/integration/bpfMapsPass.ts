// Whether this kernel runs the BPF walk's maps pass. A verifier may refuse both of its variants
// (bpf_d_path of a vma's file, which 6.18.44's calls an untrusted pointer, and the one that prints
// paths itself), and the walk then reads /proc/PID/maps, the fallback every walk-equality test
// compares. Tests of the pass itself skip, saying so, for that refusal only; any other reason the
// pass is off still fails them.

/** The reason to skip a test of the maps pass itself, or false when the pass ran (or failed for another reason). */
export function mapsPassRefused(mapsUnavailable: string | undefined): string | false {
  return mapsUnavailable !== undefined && /the kernel's verifier refused ipci_task_maps: .*; with paths of its own: the kernel's verifier refused ipci_task_maps_own: /.test(mapsUnavailable)
    ? `this kernel refuses the maps pass, so the walk reads /proc/PID/maps (${mapsUnavailable})`
    : false;
}
