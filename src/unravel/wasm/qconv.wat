;; The conv rule's kernels for quantized layers (src/unravel/wasm/qconv.ts): the transposition of a uint8/int8 input
;; channel-last, as bytes, and the channel choice (src/unravel/rules/conv-kernel.ts, bestChannelLast) in integers:
;; sixteen input channels per step, each channel's Σ_r (x − zero)·w over the taps in 32-bit lanes (products of two
;; 16-bit integers, exact; the caller checks the sums cannot overflow), so the sums are those of the TypeScript rule,
;; which adds the same integers exactly in double precision: the same choice, ties included. Built into
;; src/unravel/wasm/qconv-wasm.ts by scripts/build-wasm.mjs.
;;
;; Memory, laid out by the caller: at `wrows` the i32 byte addresses of the m in-bounds taps' filter rows (row r: the
;; channel's int16 weights of tap r, [kernel taps][cinG rounded up to 16]); at `rows` the i32 byte addresses of their
;; input rows (row r: the cinG uint8 input channels of tap r's position, side by side, in the channel-last copy). Both
;; are read 16 channels at a time, past cinG in the last step (the caller leaves 16 readable bytes after each input
;; copy); the lanes past cinG are left out of the choice.
(module
  (memory (export "memory") 1)

  ;; Returns the first channel (0 … cinG − 1) with the largest sign × Σ_r (x[r][ci] − zero) · w[r][ci].
  (func (export "bestChannel")
    (param $wrows i32) (param $rows i32) (param $m i32) (param $cinG i32) (param $zero i32) (param $sign i32) (result i32)
    (local $ci i32) (local $r i32) (local $xa i32) (local $wa i32) (local $t i32) (local $b i32)
    (local $zeros v128) (local $signs v128) (local $lim v128) (local $min v128)
    (local $xb v128) (local $xl v128) (local $xh v128) (local $wl v128) (local $wh v128) (local $mask v128)
    (local $a0 v128) (local $a1 v128) (local $a2 v128) (local $a3 v128)
    (local $t0 v128) (local $t1 v128) (local $t2 v128) (local $t3 v128)
    (local $b0 v128) (local $b1 v128) (local $b2 v128) (local $b3 v128)
    (local $i0 v128) (local $i1 v128) (local $i2 v128) (local $i3 v128)
    (local.set $zeros (i16x8.splat (local.get $zero)))
    (local.set $signs (i32x4.splat (local.get $sign)))
    (local.set $lim (i32x4.splat (local.get $cinG)))
    (local.set $min (i32x4.splat (i32.const 0x80000000)))
    ;; each lane keeps its best so far; no real sum is the 32-bit minimum (the caller's bound), so the first wins
    (local.set $t0 (local.get $min))
    (local.set $t1 (local.get $min))
    (local.set $t2 (local.get $min))
    (local.set $t3 (local.get $min))
    (local.set $i0 (v128.const i32x4 0 1 2 3))
    (local.set $i1 (v128.const i32x4 4 5 6 7))
    (local.set $i2 (v128.const i32x4 8 9 10 11))
    (local.set $i3 (v128.const i32x4 12 13 14 15))
    (block $doneBlocks
      (loop $block
        (br_if $doneBlocks (i32.ge_u (local.get $ci) (local.get $cinG)))
        (local.set $a0 (v128.const i32x4 0 0 0 0))
        (local.set $a1 (v128.const i32x4 0 0 0 0))
        (local.set $a2 (v128.const i32x4 0 0 0 0))
        (local.set $a3 (v128.const i32x4 0 0 0 0))
        (local.set $r (i32.const 0))
        (block $doneTaps
          (loop $tap
            (br_if $doneTaps (i32.ge_u (local.get $r) (local.get $m)))
            (local.set $xa (i32.add (i32.load (i32.add (local.get $rows) (i32.shl (local.get $r) (i32.const 2)))) (local.get $ci)))
            (local.set $wa
              (i32.add (i32.load (i32.add (local.get $wrows) (i32.shl (local.get $r) (i32.const 2)))) (i32.shl (local.get $ci) (i32.const 1))))
            (local.set $xb (v128.load (local.get $xa)))
            (local.set $xl (i16x8.sub (i16x8.extend_low_i8x16_u (local.get $xb)) (local.get $zeros)))
            (local.set $xh (i16x8.sub (i16x8.extend_high_i8x16_u (local.get $xb)) (local.get $zeros)))
            (local.set $wl (v128.load (local.get $wa)))
            (local.set $wh (v128.load offset=16 (local.get $wa)))
            (local.set $a0 (i32x4.add (local.get $a0) (i32x4.extmul_low_i16x8_s (local.get $xl) (local.get $wl))))
            (local.set $a1 (i32x4.add (local.get $a1) (i32x4.extmul_high_i16x8_s (local.get $xl) (local.get $wl))))
            (local.set $a2 (i32x4.add (local.get $a2) (i32x4.extmul_low_i16x8_s (local.get $xh) (local.get $wh))))
            (local.set $a3 (i32x4.add (local.get $a3) (i32x4.extmul_high_i16x8_s (local.get $xh) (local.get $wh))))
            (local.set $r (i32.add (local.get $r) (i32.const 1)))
            (br $tap)))
        (local.set $a0 (i32x4.mul (local.get $a0) (local.get $signs)))
        (local.set $a1 (i32x4.mul (local.get $a1) (local.get $signs)))
        (local.set $a2 (i32x4.mul (local.get $a2) (local.get $signs)))
        (local.set $a3 (i32x4.mul (local.get $a3) (local.get $signs)))
        ;; the last step: lanes past cinG read other values, they never win
        (if (i32.gt_u (i32.add (local.get $ci) (i32.const 16)) (local.get $cinG))
          (then
            (local.set $a0 (v128.bitselect (local.get $a0) (local.get $min) (i32x4.lt_s (local.get $i0) (local.get $lim))))
            (local.set $a1 (v128.bitselect (local.get $a1) (local.get $min) (i32x4.lt_s (local.get $i1) (local.get $lim))))
            (local.set $a2 (v128.bitselect (local.get $a2) (local.get $min) (i32x4.lt_s (local.get $i2) (local.get $lim))))
            (local.set $a3 (v128.bitselect (local.get $a3) (local.get $min) (i32x4.lt_s (local.get $i3) (local.get $lim))))))
        ;; strictly larger: each lane keeps its first maximum
        (local.set $mask (i32x4.gt_s (local.get $a0) (local.get $t0)))
        (local.set $t0 (v128.bitselect (local.get $a0) (local.get $t0) (local.get $mask)))
        (local.set $b0 (v128.bitselect (local.get $i0) (local.get $b0) (local.get $mask)))
        (local.set $mask (i32x4.gt_s (local.get $a1) (local.get $t1)))
        (local.set $t1 (v128.bitselect (local.get $a1) (local.get $t1) (local.get $mask)))
        (local.set $b1 (v128.bitselect (local.get $i1) (local.get $b1) (local.get $mask)))
        (local.set $mask (i32x4.gt_s (local.get $a2) (local.get $t2)))
        (local.set $t2 (v128.bitselect (local.get $a2) (local.get $t2) (local.get $mask)))
        (local.set $b2 (v128.bitselect (local.get $i2) (local.get $b2) (local.get $mask)))
        (local.set $mask (i32x4.gt_s (local.get $a3) (local.get $t3)))
        (local.set $t3 (v128.bitselect (local.get $a3) (local.get $t3) (local.get $mask)))
        (local.set $b3 (v128.bitselect (local.get $i3) (local.get $b3) (local.get $mask)))
        (local.set $i0 (i32x4.add (local.get $i0) (v128.const i32x4 16 16 16 16)))
        (local.set $i1 (i32x4.add (local.get $i1) (v128.const i32x4 16 16 16 16)))
        (local.set $i2 (i32x4.add (local.get $i2) (v128.const i32x4 16 16 16 16)))
        (local.set $i3 (i32x4.add (local.get $i3) (v128.const i32x4 16 16 16 16)))
        (local.set $ci (i32.add (local.get $ci) (i32.const 16)))
        (br $block)))
    ;; lanes pairwise: the larger sum, the lower channel on a tie (a lane that saw no channel holds the minimum)
    (local.set $mask
      (v128.or (i32x4.gt_s (local.get $t1) (local.get $t0))
        (v128.and (i32x4.eq (local.get $t1) (local.get $t0)) (i32x4.lt_s (local.get $b1) (local.get $b0)))))
    (local.set $t0 (v128.bitselect (local.get $t1) (local.get $t0) (local.get $mask)))
    (local.set $b0 (v128.bitselect (local.get $b1) (local.get $b0) (local.get $mask)))
    (local.set $mask
      (v128.or (i32x4.gt_s (local.get $t3) (local.get $t2))
        (v128.and (i32x4.eq (local.get $t3) (local.get $t2)) (i32x4.lt_s (local.get $b3) (local.get $b2)))))
    (local.set $t2 (v128.bitselect (local.get $t3) (local.get $t2) (local.get $mask)))
    (local.set $b2 (v128.bitselect (local.get $b3) (local.get $b2) (local.get $mask)))
    (local.set $mask
      (v128.or (i32x4.gt_s (local.get $t2) (local.get $t0))
        (v128.and (i32x4.eq (local.get $t2) (local.get $t0)) (i32x4.lt_s (local.get $b2) (local.get $b0)))))
    (local.set $t0 (v128.bitselect (local.get $t2) (local.get $t0) (local.get $mask)))
    (local.set $b0 (v128.bitselect (local.get $b2) (local.get $b0) (local.get $mask)))
    ;; then the four lanes, in order
    (local.set $t (i32x4.extract_lane 0 (local.get $t0)))
    (local.set $b (i32x4.extract_lane 0 (local.get $b0)))
    (call $lane (local.get $t) (local.get $b) (i32x4.extract_lane 1 (local.get $t0)) (i32x4.extract_lane 1 (local.get $b0)))
    (local.set $b)
    (local.set $t)
    (call $lane (local.get $t) (local.get $b) (i32x4.extract_lane 2 (local.get $t0)) (i32x4.extract_lane 2 (local.get $b0)))
    (local.set $b)
    (local.set $t)
    (call $lane (local.get $t) (local.get $b) (i32x4.extract_lane 3 (local.get $t0)) (i32x4.extract_lane 3 (local.get $b0)))
    (local.set $b)
    (local.set $t)
    (local.get $b))

  ;; Of two (sum, channel) pairs, the larger sum, the lower channel on a tie.
  (func $lane (param $t i32) (param $b i32) (param $tk i32) (param $bk i32) (result i32 i32)
    (if (result i32 i32) (i32.or (i32.gt_s (local.get $tk) (local.get $t))
                                 (i32.and (i32.eq (local.get $tk) (local.get $t)) (i32.lt_s (local.get $bk) (local.get $b))))
      (then (local.get $tk) (local.get $bk))
      (else (local.get $t) (local.get $b))))

  ;; Copies the planar bytes [cb][plane] at `src` channel-last into `dst`: channel c of position p goes to
  ;; dst + p·cin + c, each byte XORed with `flip` (0x80 turns int8 into uint8 with the zero point moved by 128).
  ;; Sixteen positions by eight channels per step (a byte transpose in three rounds of shuffles), every channel of a
  ;; block of positions before the next block, so that each position's row is written whole while in the cache; then
  ;; the channels left over, and the positions left over, byte by byte.
  (func (export "transpose") (param $src i32) (param $cb i32) (param $plane i32) (param $dst i32) (param $cin i32) (param $flip i32)
    (local $c i32) (local $p i32) (local $a i32) (local $d i32) (local $cq i32) (local $pq i32) (local $f v128)
    (local $r0 v128) (local $r1 v128) (local $r2 v128) (local $r3 v128) (local $r4 v128) (local $r5 v128) (local $r6 v128) (local $r7 v128)
    (local $l0 v128) (local $l1 v128) (local $l2 v128) (local $l3 v128) (local $h0 v128) (local $h1 v128) (local $h2 v128) (local $h3 v128)
    (local.set $f (i8x16.splat (local.get $flip)))
    (local.set $cq (i32.and (local.get $cb) (i32.const -8)))
    (local.set $pq (i32.and (local.get $plane) (i32.const -16)))
    (block $doneBlocks
      (loop $block
        (br_if $doneBlocks (i32.ge_u (local.get $p) (local.get $pq)))
        (local.set $c (i32.const 0))
        (block $doneOctets
          (loop $octet
            (br_if $doneOctets (i32.ge_u (local.get $c) (local.get $cq)))
            ;; channels c … c + 7 at positions p … p + 15
            (local.set $a (i32.add (i32.add (local.get $src) (i32.mul (local.get $c) (local.get $plane))) (local.get $p)))
            (local.set $r0 (v128.xor (v128.load (local.get $a)) (local.get $f)))
            (local.set $a (i32.add (local.get $a) (local.get $plane)))
            (local.set $r1 (v128.xor (v128.load (local.get $a)) (local.get $f)))
            (local.set $a (i32.add (local.get $a) (local.get $plane)))
            (local.set $r2 (v128.xor (v128.load (local.get $a)) (local.get $f)))
            (local.set $a (i32.add (local.get $a) (local.get $plane)))
            (local.set $r3 (v128.xor (v128.load (local.get $a)) (local.get $f)))
            (local.set $a (i32.add (local.get $a) (local.get $plane)))
            (local.set $r4 (v128.xor (v128.load (local.get $a)) (local.get $f)))
            (local.set $a (i32.add (local.get $a) (local.get $plane)))
            (local.set $r5 (v128.xor (v128.load (local.get $a)) (local.get $f)))
            (local.set $a (i32.add (local.get $a) (local.get $plane)))
            (local.set $r6 (v128.xor (v128.load (local.get $a)) (local.get $f)))
            (local.set $a (i32.add (local.get $a) (local.get $plane)))
            (local.set $r7 (v128.xor (v128.load (local.get $a)) (local.get $f)))
            ;; bytes of channel pairs interleaved: l_k positions 0–7, h_k positions 8–15, of channels 2k, 2k + 1
            (local.set $l0 (i8x16.shuffle 0 16 1 17 2 18 3 19 4 20 5 21 6 22 7 23 (local.get $r0) (local.get $r1)))
            (local.set $h0 (i8x16.shuffle 8 24 9 25 10 26 11 27 12 28 13 29 14 30 15 31 (local.get $r0) (local.get $r1)))
            (local.set $l1 (i8x16.shuffle 0 16 1 17 2 18 3 19 4 20 5 21 6 22 7 23 (local.get $r2) (local.get $r3)))
            (local.set $h1 (i8x16.shuffle 8 24 9 25 10 26 11 27 12 28 13 29 14 30 15 31 (local.get $r2) (local.get $r3)))
            (local.set $l2 (i8x16.shuffle 0 16 1 17 2 18 3 19 4 20 5 21 6 22 7 23 (local.get $r4) (local.get $r5)))
            (local.set $h2 (i8x16.shuffle 8 24 9 25 10 26 11 27 12 28 13 29 14 30 15 31 (local.get $r4) (local.get $r5)))
            (local.set $l3 (i8x16.shuffle 0 16 1 17 2 18 3 19 4 20 5 21 6 22 7 23 (local.get $r6) (local.get $r7)))
            (local.set $h3 (i8x16.shuffle 8 24 9 25 10 26 11 27 12 28 13 29 14 30 15 31 (local.get $r6) (local.get $r7)))
            ;; pairs of pairs: r0 … r3 four positions by channels 0–3 (positions 0–3, 4–7, 8–11, 12–15), r4 … r7 by 4–7
            (local.set $r0 (i8x16.shuffle 0 1 16 17 2 3 18 19 4 5 20 21 6 7 22 23 (local.get $l0) (local.get $l1)))
            (local.set $r1 (i8x16.shuffle 8 9 24 25 10 11 26 27 12 13 28 29 14 15 30 31 (local.get $l0) (local.get $l1)))
            (local.set $r2 (i8x16.shuffle 0 1 16 17 2 3 18 19 4 5 20 21 6 7 22 23 (local.get $h0) (local.get $h1)))
            (local.set $r3 (i8x16.shuffle 8 9 24 25 10 11 26 27 12 13 28 29 14 15 30 31 (local.get $h0) (local.get $h1)))
            (local.set $r4 (i8x16.shuffle 0 1 16 17 2 3 18 19 4 5 20 21 6 7 22 23 (local.get $l2) (local.get $l3)))
            (local.set $r5 (i8x16.shuffle 8 9 24 25 10 11 26 27 12 13 28 29 14 15 30 31 (local.get $l2) (local.get $l3)))
            (local.set $r6 (i8x16.shuffle 0 1 16 17 2 3 18 19 4 5 20 21 6 7 22 23 (local.get $h2) (local.get $h3)))
            (local.set $r7 (i8x16.shuffle 8 9 24 25 10 11 26 27 12 13 28 29 14 15 30 31 (local.get $h2) (local.get $h3)))
            ;; channels 0–3 beside 4–7: l_k positions 4k, 4k + 1, h_k positions 4k + 2, 4k + 3, eight channels each
            (local.set $l0 (i8x16.shuffle 0 1 2 3 16 17 18 19 4 5 6 7 20 21 22 23 (local.get $r0) (local.get $r4)))
            (local.set $h0 (i8x16.shuffle 8 9 10 11 24 25 26 27 12 13 14 15 28 29 30 31 (local.get $r0) (local.get $r4)))
            (local.set $l1 (i8x16.shuffle 0 1 2 3 16 17 18 19 4 5 6 7 20 21 22 23 (local.get $r1) (local.get $r5)))
            (local.set $h1 (i8x16.shuffle 8 9 10 11 24 25 26 27 12 13 14 15 28 29 30 31 (local.get $r1) (local.get $r5)))
            (local.set $l2 (i8x16.shuffle 0 1 2 3 16 17 18 19 4 5 6 7 20 21 22 23 (local.get $r2) (local.get $r6)))
            (local.set $h2 (i8x16.shuffle 8 9 10 11 24 25 26 27 12 13 14 15 28 29 30 31 (local.get $r2) (local.get $r6)))
            (local.set $l3 (i8x16.shuffle 0 1 2 3 16 17 18 19 4 5 6 7 20 21 22 23 (local.get $r3) (local.get $r7)))
            (local.set $h3 (i8x16.shuffle 8 9 10 11 24 25 26 27 12 13 14 15 28 29 30 31 (local.get $r3) (local.get $r7)))
            (local.set $d (i32.add (i32.add (local.get $dst) (i32.mul (local.get $p) (local.get $cin))) (local.get $c)))
            (v128.store64_lane 0 (local.get $d) (local.get $l0))
            (local.set $d (i32.add (local.get $d) (local.get $cin)))
            (v128.store64_lane 1 (local.get $d) (local.get $l0))
            (local.set $d (i32.add (local.get $d) (local.get $cin)))
            (v128.store64_lane 0 (local.get $d) (local.get $h0))
            (local.set $d (i32.add (local.get $d) (local.get $cin)))
            (v128.store64_lane 1 (local.get $d) (local.get $h0))
            (local.set $d (i32.add (local.get $d) (local.get $cin)))
            (v128.store64_lane 0 (local.get $d) (local.get $l1))
            (local.set $d (i32.add (local.get $d) (local.get $cin)))
            (v128.store64_lane 1 (local.get $d) (local.get $l1))
            (local.set $d (i32.add (local.get $d) (local.get $cin)))
            (v128.store64_lane 0 (local.get $d) (local.get $h1))
            (local.set $d (i32.add (local.get $d) (local.get $cin)))
            (v128.store64_lane 1 (local.get $d) (local.get $h1))
            (local.set $d (i32.add (local.get $d) (local.get $cin)))
            (v128.store64_lane 0 (local.get $d) (local.get $l2))
            (local.set $d (i32.add (local.get $d) (local.get $cin)))
            (v128.store64_lane 1 (local.get $d) (local.get $l2))
            (local.set $d (i32.add (local.get $d) (local.get $cin)))
            (v128.store64_lane 0 (local.get $d) (local.get $h2))
            (local.set $d (i32.add (local.get $d) (local.get $cin)))
            (v128.store64_lane 1 (local.get $d) (local.get $h2))
            (local.set $d (i32.add (local.get $d) (local.get $cin)))
            (v128.store64_lane 0 (local.get $d) (local.get $l3))
            (local.set $d (i32.add (local.get $d) (local.get $cin)))
            (v128.store64_lane 1 (local.get $d) (local.get $l3))
            (local.set $d (i32.add (local.get $d) (local.get $cin)))
            (v128.store64_lane 0 (local.get $d) (local.get $h3))
            (local.set $d (i32.add (local.get $d) (local.get $cin)))
            (v128.store64_lane 1 (local.get $d) (local.get $h3))
            (local.set $c (i32.add (local.get $c) (i32.const 8)))
            (br $octet)))
        (local.set $p (i32.add (local.get $p) (i32.const 16)))
        (br $block)))
    ;; the channels left over (cb not a multiple of 8) at the blocks' positions, then every channel at the positions
    ;; left over (plane not a multiple of 16)
    (call $bytes (local.get $src) (local.get $cq) (local.get $cb) (i32.const 0) (local.get $pq)
      (local.get $plane) (local.get $dst) (local.get $cin) (local.get $flip))
    (call $bytes (local.get $src) (i32.const 0) (local.get $cb) (local.get $pq) (local.get $plane)
      (local.get $plane) (local.get $dst) (local.get $cin) (local.get $flip)))

  ;; Channels c0 … c1 − 1 at positions p0 … p1 − 1, byte by byte (the transposition's edges).
  (func $bytes (param $src i32) (param $c0 i32) (param $c1 i32) (param $p0 i32) (param $p1 i32)
    (param $plane i32) (param $dst i32) (param $cin i32) (param $flip i32)
    (local $c i32) (local $p i32) (local $a i32) (local $d i32)
    (local.set $c (local.get $c0))
    (block $doneChannels
      (loop $channel
        (br_if $doneChannels (i32.ge_u (local.get $c) (local.get $c1)))
        (local.set $a (i32.add (i32.add (local.get $src) (i32.mul (local.get $c) (local.get $plane))) (local.get $p0)))
        (local.set $d (i32.add (i32.add (local.get $dst) (i32.mul (local.get $p0) (local.get $cin))) (local.get $c)))
        (local.set $p (local.get $p0))
        (block $doneOne
          (loop $one
            (br_if $doneOne (i32.ge_u (local.get $p) (local.get $p1)))
            (i32.store8 (local.get $d) (i32.xor (i32.load8_u (local.get $a)) (local.get $flip)))
            (local.set $d (i32.add (local.get $d) (local.get $cin)))
            (local.set $a (i32.add (local.get $a) (i32.const 1)))
            (local.set $p (i32.add (local.get $p) (i32.const 1)))
            (br $one)))
        (local.set $c (i32.add (local.get $c) (i32.const 1)))
        (br $channel)))))
