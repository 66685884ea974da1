;; The conv rule's kernels (src/unravel/wasm/conv.ts): the transposition of a float32 input channel-last, and the
;; channel choice (src/unravel/rules/conv-kernel.ts, bestChannelLast) with f64x2: four input
;; channels per step in two lane pairs (then a pair, then an odd last one), each channel's sum of value × weight over
;; the taps in tap order, in double precision, as the TypeScript rule adds them (identical sums, identical choice,
;; ties included). Built into src/unravel/wasm/conv-wasm.ts by scripts/build-wasm.mjs.
;;
;; Memory, laid out by the caller: at `wrows` the i32 byte addresses of the m in-bounds taps' filter rows (row r: the
;; cinG float32 weights of tap r for the channel's filter, transposed to [kernel taps][cinG]); at `rows` the i32 byte
;; addresses of their input rows (row r: the cinG float32 input channels of tap r's position, side by side, in the
;; channel-last copy of the input). A channel's value and weight at tap r then sit at the same offset in both rows.
(module
  (memory (export "memory") 1)

  ;; Returns the first channel (0 … cinG − 1) with the largest sign × Σ_r x[r][ci] · w[r][ci].
  (func (export "bestChannel")
    (param $wrows i32) (param $rows i32) (param $m i32) (param $cinG i32) (param $sign f64) (result i32)
    (local $ci i32) (local $r i32) (local $off i32) (local $xa i32) (local $wa i32)
    (local $acc v128) (local $acc2 v128) (local $xv v128) (local $wv v128) (local $v v128) (local $mask v128)
    (local $top v128) (local $best v128) (local $idx v128) (local $top2 v128) (local $best2 v128) (local $idx2 v128)
    (local $signs v128) (local $s f64) (local $top0 f64) (local $top1 f64) (local $b0 i32) (local $b1 i32)
    (local $quads i32) (local $pairs i32) (local $one i32) (local $x0 i32) (local $w0 i32)
    (local.set $signs (f64x2.splat (local.get $sign)))
    (local.set $top (f64x2.splat (f64.const -inf)))
    (local.set $top2 (f64x2.splat (f64.const -inf)))
    (local.set $best (i64x2.splat (i64.const 0)))
    (local.set $best2 (i64x2.splat (i64.const 0)))
    (local.set $idx (v128.const i64x2 0 1))
    (local.set $idx2 (v128.const i64x2 2 3))
    (local.set $quads (i32.and (local.get $cinG) (i32.const -4)))
    (local.set $pairs (i32.and (local.get $cinG) (i32.const -2)))
    (local.set $one (i32.eq (local.get $m) (i32.const 1)))
    (local.set $x0 (i32.load (local.get $rows)))
    (local.set $w0 (i32.load (local.get $wrows)))
    ;; one tap: in float32 first, the exact products only where the rounded ones tie for the largest
    (if (local.get $one)
      (then
        (local.set $b0 (call $bestOne (local.get $x0) (local.get $w0) (local.get $cinG) (local.get $sign)))
        (if (i32.ge_s (local.get $b0) (i32.const 0)) (then (return (local.get $b0))))))
    ;; channels (ci … ci + 3): the low pair in $acc, the high pair in $acc2
    (block $doneQuads
      (loop $quad
        (br_if $doneQuads (i32.ge_u (local.get $ci) (local.get $quads)))
        (local.set $off (i32.shl (local.get $ci) (i32.const 2)))
        (if (local.get $one)
          (then
            ;; one tap (a 1×1 conv): each channel's sum is its product, without the tap loop (0 + p only turns a
            ;; −0 into +0, which no comparison tells apart)
            (local.set $xv (v128.load (i32.add (local.get $x0) (local.get $off))))
            (local.set $wv (v128.load (i32.add (local.get $w0) (local.get $off))))
            (local.set $acc (f64x2.mul (f64x2.promote_low_f32x4 (local.get $xv)) (f64x2.promote_low_f32x4 (local.get $wv))))
            (local.set $acc2
              (f64x2.mul
                (f64x2.promote_low_f32x4 (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 (local.get $xv) (local.get $xv)))
                (f64x2.promote_low_f32x4 (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 (local.get $wv) (local.get $wv))))))
          (else
            (local.set $acc (f64x2.splat (f64.const 0)))
            (local.set $acc2 (f64x2.splat (f64.const 0)))
            (local.set $r (i32.const 0))
            (block $doneTaps
              (loop $tap
                (br_if $doneTaps (i32.ge_u (local.get $r) (local.get $m)))
                (local.set $xa (i32.add (i32.load (i32.add (local.get $rows) (i32.shl (local.get $r) (i32.const 2)))) (local.get $off)))
                (local.set $wa (i32.add (i32.load (i32.add (local.get $wrows) (i32.shl (local.get $r) (i32.const 2)))) (local.get $off)))
                (local.set $xv (v128.load (local.get $xa)))
                (local.set $wv (v128.load (local.get $wa)))
                (local.set $acc
                  (f64x2.add (local.get $acc)
                    (f64x2.mul (f64x2.promote_low_f32x4 (local.get $xv)) (f64x2.promote_low_f32x4 (local.get $wv)))))
                (local.set $acc2
                  (f64x2.add (local.get $acc2)
                    (f64x2.mul
                      (f64x2.promote_low_f32x4 (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 (local.get $xv) (local.get $xv)))
                      (f64x2.promote_low_f32x4 (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 (local.get $wv) (local.get $wv))))))
                (local.set $r (i32.add (local.get $r) (i32.const 1)))
                (br $tap)))))
        ;; strictly larger: each lane keeps its first maximum
        (local.set $v (f64x2.mul (local.get $acc) (local.get $signs)))
        (local.set $mask (f64x2.gt (local.get $v) (local.get $top)))
        (local.set $top (v128.bitselect (local.get $v) (local.get $top) (local.get $mask)))
        (local.set $best (v128.bitselect (local.get $idx) (local.get $best) (local.get $mask)))
        (local.set $v (f64x2.mul (local.get $acc2) (local.get $signs)))
        (local.set $mask (f64x2.gt (local.get $v) (local.get $top2)))
        (local.set $top2 (v128.bitselect (local.get $v) (local.get $top2) (local.get $mask)))
        (local.set $best2 (v128.bitselect (local.get $idx2) (local.get $best2) (local.get $mask)))
        (local.set $idx (i64x2.add (local.get $idx) (v128.const i64x2 4 4)))
        (local.set $idx2 (i64x2.add (local.get $idx2) (v128.const i64x2 4 4)))
        (local.set $ci (i32.add (local.get $ci) (i32.const 4)))
        (br $quad)))
    ;; the high pair's lanes into the low pair's: the larger sum, the lower channel on a tie (lane 0 then holds the
    ;; even channels, lane 1 the odd ones, as the pair below continues)
    (local.set $mask
      (v128.or (f64x2.gt (local.get $top2) (local.get $top))
               (v128.and (f64x2.eq (local.get $top2) (local.get $top)) (i64x2.lt_s (local.get $best2) (local.get $best)))))
    (local.set $top (v128.bitselect (local.get $top2) (local.get $top) (local.get $mask)))
    (local.set $best (v128.bitselect (local.get $best2) (local.get $best) (local.get $mask)))
    ;; a last pair (ci, ci + 1), $idx already at it
    (if (i32.lt_u (local.get $ci) (local.get $pairs))
      (then
        (local.set $acc (f64x2.splat (f64.const 0)))
        (local.set $off (i32.shl (local.get $ci) (i32.const 2)))
        (local.set $r (i32.const 0))
        (block $donePairTaps
          (loop $pairTap
            (br_if $donePairTaps (i32.ge_u (local.get $r) (local.get $m)))
            (local.set $xa (i32.add (i32.load (i32.add (local.get $rows) (i32.shl (local.get $r) (i32.const 2)))) (local.get $off)))
            (local.set $wa (i32.add (i32.load (i32.add (local.get $wrows) (i32.shl (local.get $r) (i32.const 2)))) (local.get $off)))
            (local.set $acc
              (f64x2.add (local.get $acc)
                (f64x2.mul (f64x2.promote_low_f32x4 (v128.load64_zero (local.get $xa)))
                           (f64x2.promote_low_f32x4 (v128.load64_zero (local.get $wa))))))
            (local.set $r (i32.add (local.get $r) (i32.const 1)))
            (br $pairTap)))
        (local.set $v (f64x2.mul (local.get $acc) (local.get $signs)))
        (local.set $mask (f64x2.gt (local.get $v) (local.get $top)))
        (local.set $top (v128.bitselect (local.get $v) (local.get $top) (local.get $mask)))
        (local.set $best (v128.bitselect (local.get $idx) (local.get $best) (local.get $mask)))))
    ;; the two lanes: the larger sum, the lower channel on a tie
    (local.set $top0 (f64x2.extract_lane 0 (local.get $top)))
    (local.set $top1 (f64x2.extract_lane 1 (local.get $top)))
    (local.set $b0 (i32.wrap_i64 (i64x2.extract_lane 0 (local.get $best))))
    (local.set $b1 (i32.wrap_i64 (i64x2.extract_lane 1 (local.get $best))))
    (if (i32.or (f64.gt (local.get $top1) (local.get $top0))
                (i32.and (f64.eq (local.get $top1) (local.get $top0)) (i32.lt_u (local.get $b1) (local.get $b0))))
      (then (local.set $top0 (local.get $top1)) (local.set $b0 (local.get $b1))))
    ;; an odd last channel, the highest: it wins only by a strictly larger sum
    (if (i32.lt_u (local.get $pairs) (local.get $cinG))
      (then
        (local.set $s (f64.const 0))
        (local.set $off (i32.shl (local.get $pairs) (i32.const 2)))
        (local.set $r (i32.const 0))
        (block $doneLast
          (loop $lastTap
            (br_if $doneLast (i32.ge_u (local.get $r) (local.get $m)))
            (local.set $xa (i32.add (i32.load (i32.add (local.get $rows) (i32.shl (local.get $r) (i32.const 2)))) (local.get $off)))
            (local.set $wa (i32.add (i32.load (i32.add (local.get $wrows) (i32.shl (local.get $r) (i32.const 2)))) (local.get $off)))
            (local.set $s
              (f64.add (local.get $s)
                (f64.mul (f64.promote_f32 (f32.load (local.get $xa))) (f64.promote_f32 (f32.load (local.get $wa))))))
            (local.set $r (i32.add (local.get $r) (i32.const 1)))
            (br $lastTap)))
        (local.set $s (f64.mul (local.get $s) (local.get $sign)))
        (if (f64.gt (local.get $s) (local.get $top0)) (then (local.set $b0 (local.get $pairs))))))
    (local.get $b0))
;; bestChannel for one tap (a 1×1 conv), x and w the addresses of its input and filter rows: each channel's sum is
;; its product x·w, exact in double precision, and rounding is monotonic, so the channel with the largest sign·x·w is
;; among those whose product rounded to float32 is the largest rounded one. A first pass finds that value, eight
;; channels per step in float32 (pmax passes over a NaN product, which no comparison of the reference picks); a
;; second finds the channels whose rounded product equals it and chooses among them by the exact product, the first
;; on ties. Returns −1 where the largest rounded product is −∞ (every product a NaN, or −∞ by overflow though its
;; exact value is finite): the caller's exact loop then decides.
  (func $bestOne (param $x i32) (param $w i32) (param $cinG i32) (param $sign f64) (result i32)
    (local $ci i32) (local $octs i32) (local $quads i32) (local $off i32) (local $bits i32) (local $c i32) (local $best i32)
    (local $s v128) (local $top v128) (local $top2 v128) (local $ms v128) (local $mask v128)
    (local $sf f32) (local $m f32) (local $p f32) (local $d f64) (local $bd f64)
    (local.set $sf (f32.demote_f64 (local.get $sign)))
    (local.set $s (f32x4.splat (local.get $sf)))
    (local.set $top (f32x4.splat (f32.const -inf)))
    (local.set $top2 (f32x4.splat (f32.const -inf)))
    (local.set $octs (i32.and (local.get $cinG) (i32.const -8)))
    (local.set $quads (i32.and (local.get $cinG) (i32.const -4)))
    (block $doneOcts
      (loop $oct
        (br_if $doneOcts (i32.ge_u (local.get $ci) (local.get $octs)))
        (local.set $off (i32.shl (local.get $ci) (i32.const 2)))
        (local.set $top (f32x4.pmax (local.get $top)
          (f32x4.mul (f32x4.mul (v128.load (i32.add (local.get $x) (local.get $off))) (v128.load (i32.add (local.get $w) (local.get $off)))) (local.get $s))))
        (local.set $top2 (f32x4.pmax (local.get $top2)
          (f32x4.mul (f32x4.mul (v128.load offset=16 (i32.add (local.get $x) (local.get $off))) (v128.load offset=16 (i32.add (local.get $w) (local.get $off)))) (local.get $s))))
        (local.set $ci (i32.add (local.get $ci) (i32.const 8)))
        (br $oct)))
    (if (i32.lt_u (local.get $ci) (local.get $quads))
      (then
        (local.set $off (i32.shl (local.get $ci) (i32.const 2)))
        (local.set $top (f32x4.pmax (local.get $top)
          (f32x4.mul (f32x4.mul (v128.load (i32.add (local.get $x) (local.get $off))) (v128.load (i32.add (local.get $w) (local.get $off)))) (local.get $s))))))
    ;; no lane holds a NaN: max is exact
    (local.set $top (f32x4.max (local.get $top) (local.get $top2)))
    (local.set $m (f32.max (f32.max (f32x4.extract_lane 0 (local.get $top)) (f32x4.extract_lane 1 (local.get $top)))
                           (f32.max (f32x4.extract_lane 2 (local.get $top)) (f32x4.extract_lane 3 (local.get $top)))))
    (local.set $ci (local.get $quads))
    (block $doneRest
      (loop $rest
        (br_if $doneRest (i32.ge_u (local.get $ci) (local.get $cinG)))
        (local.set $off (i32.shl (local.get $ci) (i32.const 2)))
        (local.set $p (f32.mul (f32.mul (f32.load (i32.add (local.get $x) (local.get $off))) (f32.load (i32.add (local.get $w) (local.get $off)))) (local.get $sf)))
        (if (f32.gt (local.get $p) (local.get $m)) (then (local.set $m (local.get $p))))
        (local.set $ci (i32.add (local.get $ci) (i32.const 1)))
        (br $rest)))
    (if (f32.eq (local.get $m) (f32.const -inf)) (then (return (i32.const -1))))
    ;; the channels whose rounded product is the largest, by their exact products
    (local.set $ms (f32x4.splat (local.get $m)))
    (local.set $best (i32.const -1))
    (local.set $bd (f64.const -inf))
    (local.set $ci (i32.const 0))
    (block $doneTies
      (loop $tie
        ;; eight channels per step, then four, until one ties (a tight loop: a channel's product rarely does); then
        ;; that step's first four channels, or one channel past the last four, one by one
        (block $found
          (loop $oct2
            (br_if $found (i32.gt_u (i32.add (local.get $ci) (i32.const 8)) (local.get $cinG)))
            (local.set $off (i32.shl (local.get $ci) (i32.const 2)))
            (local.set $ci (i32.add (local.get $ci) (i32.const 8)))
            (br_if $oct2 (i32.eqz (v128.any_true (v128.or
              (f32x4.eq (local.get $ms)
                (f32x4.mul (f32x4.mul (v128.load (i32.add (local.get $x) (local.get $off))) (v128.load (i32.add (local.get $w) (local.get $off)))) (local.get $s)))
              (f32x4.eq (local.get $ms)
                (f32x4.mul (f32x4.mul (v128.load offset=16 (i32.add (local.get $x) (local.get $off))) (v128.load offset=16 (i32.add (local.get $w) (local.get $off)))) (local.get $s)))))))
            (local.set $ci (i32.sub (local.get $ci) (i32.const 8))))
          (loop $quad
            (br_if $found (i32.ge_u (local.get $ci) (local.get $quads)))
            (local.set $off (i32.shl (local.get $ci) (i32.const 2)))
            (local.set $ci (i32.add (local.get $ci) (i32.const 4)))
            (br_if $quad (i32.eqz (v128.any_true (f32x4.eq (local.get $ms)
              (f32x4.mul (f32x4.mul (v128.load (i32.add (local.get $x) (local.get $off))) (v128.load (i32.add (local.get $w) (local.get $off)))) (local.get $s))))))
            (local.set $ci (i32.sub (local.get $ci) (i32.const 4)))))
        (br_if $doneTies (i32.ge_u (local.get $ci) (local.get $cinG)))
        (local.set $off (i32.shl (local.get $ci) (i32.const 2)))
        (if (i32.lt_u (local.get $ci) (local.get $quads))
          (then
            (local.set $bits (i32x4.bitmask (f32x4.eq (local.get $ms)
              (f32x4.mul (f32x4.mul (v128.load (i32.add (local.get $x) (local.get $off))) (v128.load (i32.add (local.get $w) (local.get $off)))) (local.get $s)))))
            (local.set $ci (i32.add (local.get $ci) (i32.const 4))))
          (else
            (local.set $bits (f32.eq (local.get $m)
              (f32.mul (f32.mul (f32.load (i32.add (local.get $x) (local.get $off))) (f32.load (i32.add (local.get $w) (local.get $off)))) (local.get $sf))))
            (local.set $ci (i32.add (local.get $ci) (i32.const 1)))))
        (br_if $tie (i32.eqz (local.get $bits)))
        ;; the lanes that tie, channels from off / 4 on
        (loop $lane
          (local.set $c (i32.add (i32.shr_u (local.get $off) (i32.const 2)) (i32.ctz (local.get $bits))))
          (local.set $bits (i32.and (local.get $bits) (i32.sub (local.get $bits) (i32.const 1))))
          (local.set $d (f64.mul (f64.mul (f64.promote_f32 (f32.load (i32.add (local.get $x) (i32.shl (local.get $c) (i32.const 2)))))
                                          (f64.promote_f32 (f32.load (i32.add (local.get $w) (i32.shl (local.get $c) (i32.const 2))))))
                                 (local.get $sign)))
          (if (f64.gt (local.get $d) (local.get $bd))
            (then (local.set $bd (local.get $d)) (local.set $best (local.get $c))))
          (br_if $lane (local.get $bits)))
        (br $tie)))
    (local.get $best))
;; Returns Σ_r Σ_ci x[r][ci] · w[r][ci] over the m taps and cinG channels (same lists as bestChannel): a conv's
;; output value before its bias (src/unravel/rules/conv-values.ts). Each product is exact in double precision; they
;; are added in four (then two) lane pairs and the channels left one by one, then the lanes: in double precision
;; but not in the TypeScript reference's order, so the two may differ in the last bits of a double.
  (func (export "total") (param $wrows i32) (param $rows i32) (param $m i32) (param $cinG i32) (result f64)
    (local $r i32) (local $ci i32) (local $xa i32) (local $wa i32) (local $octs i32) (local $quads i32)
    (local $xv v128) (local $wv v128) (local $a0 v128) (local $a1 v128) (local $a2 v128) (local $a3 v128) (local $s f64)
    (local.set $octs (i32.and (local.get $cinG) (i32.const -8)))
    (local.set $quads (i32.and (local.get $cinG) (i32.const -4)))
    (local.set $a0 (f64x2.splat (f64.const 0)))
    (local.set $a1 (f64x2.splat (f64.const 0)))
    (local.set $a2 (f64x2.splat (f64.const 0)))
    (local.set $a3 (f64x2.splat (f64.const 0)))
    (block $doneTaps
      (loop $tap
        (br_if $doneTaps (i32.ge_u (local.get $r) (local.get $m)))
        (local.set $xa (i32.load (i32.add (local.get $rows) (i32.shl (local.get $r) (i32.const 2)))))
        (local.set $wa (i32.load (i32.add (local.get $wrows) (i32.shl (local.get $r) (i32.const 2)))))
        (local.set $ci (i32.const 0))
        ;; eight channels per step, four independent sums
        (block $doneOcts
          (loop $oct
            (br_if $doneOcts (i32.ge_u (local.get $ci) (local.get $octs)))
            (local.set $xv (v128.load (local.get $xa)))
            (local.set $wv (v128.load (local.get $wa)))
            (local.set $a0 (f64x2.add (local.get $a0)
              (f64x2.mul (f64x2.promote_low_f32x4 (local.get $xv)) (f64x2.promote_low_f32x4 (local.get $wv)))))
            (local.set $a1 (f64x2.add (local.get $a1)
              (f64x2.mul
                (f64x2.promote_low_f32x4 (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 (local.get $xv) (local.get $xv)))
                (f64x2.promote_low_f32x4 (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 (local.get $wv) (local.get $wv))))))
            (local.set $xv (v128.load offset=16 (local.get $xa)))
            (local.set $wv (v128.load offset=16 (local.get $wa)))
            (local.set $a2 (f64x2.add (local.get $a2)
              (f64x2.mul (f64x2.promote_low_f32x4 (local.get $xv)) (f64x2.promote_low_f32x4 (local.get $wv)))))
            (local.set $a3 (f64x2.add (local.get $a3)
              (f64x2.mul
                (f64x2.promote_low_f32x4 (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 (local.get $xv) (local.get $xv)))
                (f64x2.promote_low_f32x4 (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 (local.get $wv) (local.get $wv))))))
            (local.set $xa (i32.add (local.get $xa) (i32.const 32)))
            (local.set $wa (i32.add (local.get $wa) (i32.const 32)))
            (local.set $ci (i32.add (local.get $ci) (i32.const 8)))
            (br $oct)))
        ;; four more
        (if (i32.lt_u (local.get $ci) (local.get $quads))
          (then
            (local.set $xv (v128.load (local.get $xa)))
            (local.set $wv (v128.load (local.get $wa)))
            (local.set $a0 (f64x2.add (local.get $a0)
              (f64x2.mul (f64x2.promote_low_f32x4 (local.get $xv)) (f64x2.promote_low_f32x4 (local.get $wv)))))
            (local.set $a1 (f64x2.add (local.get $a1)
              (f64x2.mul
                (f64x2.promote_low_f32x4 (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 (local.get $xv) (local.get $xv)))
                (f64x2.promote_low_f32x4 (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 (local.get $wv) (local.get $wv))))))
            (local.set $xa (i32.add (local.get $xa) (i32.const 16)))
            (local.set $wa (i32.add (local.get $wa) (i32.const 16)))
            (local.set $ci (i32.add (local.get $ci) (i32.const 4)))))
        ;; the rest, one by one
        (block $doneRest
          (loop $rest
            (br_if $doneRest (i32.ge_u (local.get $ci) (local.get $cinG)))
            (local.set $s (f64.add (local.get $s)
              (f64.mul (f64.promote_f32 (f32.load (local.get $xa))) (f64.promote_f32 (f32.load (local.get $wa))))))
            (local.set $xa (i32.add (local.get $xa) (i32.const 4)))
            (local.set $wa (i32.add (local.get $wa) (i32.const 4)))
            (local.set $ci (i32.add (local.get $ci) (i32.const 1)))
            (br $rest)))
        (local.set $r (i32.add (local.get $r) (i32.const 1)))
        (br $tap)))
    (local.set $a0 (f64x2.add (f64x2.add (local.get $a0) (local.get $a1)) (f64x2.add (local.get $a2) (local.get $a3))))
    (f64.add (local.get $s) (f64.add (f64x2.extract_lane 0 (local.get $a0)) (f64x2.extract_lane 1 (local.get $a0)))))
;; Maps `rows` rows of `cin` float32 values at `at` (channel-last: row p holds channels 0 … cin − 1) in place to
;; x · scale[c] + shift[c] (scale and shift: cin float64 each, at `scales` and `shifts`), each product and sum in
;; double precision and the result rounded to float32, as Math.fround(x * scale + shift) in TypeScript; with `relu`,
;; a result below zero becomes zero (pmax: −0 and NaN stay as they are, as `v < 0 ? 0 : v`). cin is a multiple of 4.
;; The walk's derived conv inputs (src/unravel/tensor.ts, DerivedChannels): a BatchNormalization and ReLU made again.
  (func (export "affineRows") (param $at i32) (param $rows i32) (param $cin i32) (param $scales i32) (param $shifts i32) (param $relu i32)
    (local $p i32) (local $c i32) (local $x i32) (local $k i32) (local $v v128) (local $lo v128) (local $hi v128) (local $zero v128)
    (local.set $zero (f32x4.splat (f32.const 0)))
    (local.set $x (local.get $at))
    (block $doneRows
      (loop $row
        (br_if $doneRows (i32.ge_u (local.get $p) (local.get $rows)))
        (local.set $c (i32.const 0))
        (block $doneQuads
          (loop $quad
            (br_if $doneQuads (i32.ge_u (local.get $c) (local.get $cin)))
            (local.set $k (i32.shl (local.get $c) (i32.const 3)))
            (local.set $v (v128.load (local.get $x)))
            (local.set $lo
              (f64x2.add
                (f64x2.mul (f64x2.promote_low_f32x4 (local.get $v)) (v128.load (i32.add (local.get $scales) (local.get $k))))
                (v128.load (i32.add (local.get $shifts) (local.get $k)))))
            (local.set $hi
              (f64x2.add
                (f64x2.mul
                  (f64x2.promote_low_f32x4 (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 (local.get $v) (local.get $v)))
                  (v128.load offset=16 (i32.add (local.get $scales) (local.get $k))))
                (v128.load offset=16 (i32.add (local.get $shifts) (local.get $k)))))
            (local.set $v
              (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23
                (f32x4.demote_f64x2_zero (local.get $lo)) (f32x4.demote_f64x2_zero (local.get $hi))))
            (if (local.get $relu) (then (local.set $v (f32x4.pmax (local.get $v) (local.get $zero)))))
            (v128.store (local.get $x) (local.get $v))
            (local.set $x (i32.add (local.get $x) (i32.const 16)))
            (local.set $c (i32.add (local.get $c) (i32.const 4)))
            (br $quad)))
        (local.set $p (i32.add (local.get $p) (i32.const 1)))
        (br $row))))
;; Copies `cb` channels of a planar tensor at `src` ([cb][plane] float32) channel-last into `dst`: channel c of
;; position p goes to dst + (p·cin + c)·4. Four positions by four channels per step (a 4 × 4 transpose in registers),
;; every channel of a block of positions before the next block, so that each position's row is written whole while
;; in the cache (rows cin·4 bytes apart share cache sets when cin is a power of two); then the positions left over
;; and the channels left over one by one.
  (func (export "transpose") (param $src i32) (param $cb i32) (param $plane i32) (param $dst i32) (param $cin i32)
    (local $c i32) (local $p i32) (local $a i32) (local $d i32) (local $pb i32) (local $rb i32) (local $quads i32) (local $pq i32)
    (local $v0 v128) (local $v1 v128) (local $v2 v128) (local $v3 v128) (local $t0 v128) (local $t1 v128) (local $t2 v128) (local $t3 v128)
    (local.set $pb (i32.shl (local.get $plane) (i32.const 2)))
    (local.set $rb (i32.shl (local.get $cin) (i32.const 2)))
    (local.set $quads (i32.and (local.get $cb) (i32.const -4)))
    (local.set $pq (i32.and (local.get $plane) (i32.const -4)))
    (block $doneBlocks
      (loop $block
        (br_if $doneBlocks (i32.ge_u (local.get $p) (local.get $pq)))
        (local.set $c (i32.const 0))
        (block $doneQuads
          (loop $quad
            (br_if $doneQuads (i32.ge_u (local.get $c) (local.get $quads)))
            ;; channels c … c + 3 at positions p … p + 3
            (local.set $a (i32.add (i32.add (local.get $src) (i32.mul (local.get $c) (local.get $pb))) (i32.shl (local.get $p) (i32.const 2))))
            (local.set $v0 (v128.load (local.get $a)))
            (local.set $a (i32.add (local.get $a) (local.get $pb)))
            (local.set $v1 (v128.load (local.get $a)))
            (local.set $a (i32.add (local.get $a) (local.get $pb)))
            (local.set $v2 (v128.load (local.get $a)))
            (local.set $a (i32.add (local.get $a) (local.get $pb)))
            (local.set $v3 (v128.load (local.get $a)))
            ;; t0 = v0.0 v1.0 v0.1 v1.1, t1 = v0.2 v1.2 v0.3 v1.3; t2, t3 the same of v2, v3
            (local.set $t0 (i8x16.shuffle 0 1 2 3 16 17 18 19 4 5 6 7 20 21 22 23 (local.get $v0) (local.get $v1)))
            (local.set $t1 (i8x16.shuffle 8 9 10 11 24 25 26 27 12 13 14 15 28 29 30 31 (local.get $v0) (local.get $v1)))
            (local.set $t2 (i8x16.shuffle 0 1 2 3 16 17 18 19 4 5 6 7 20 21 22 23 (local.get $v2) (local.get $v3)))
            (local.set $t3 (i8x16.shuffle 8 9 10 11 24 25 26 27 12 13 14 15 28 29 30 31 (local.get $v2) (local.get $v3)))
            (local.set $d (i32.add (i32.add (local.get $dst) (i32.mul (local.get $p) (local.get $rb))) (i32.shl (local.get $c) (i32.const 2))))
            (v128.store (local.get $d) (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23 (local.get $t0) (local.get $t2)))
            (local.set $d (i32.add (local.get $d) (local.get $rb)))
            (v128.store (local.get $d) (i8x16.shuffle 8 9 10 11 12 13 14 15 24 25 26 27 28 29 30 31 (local.get $t0) (local.get $t2)))
            (local.set $d (i32.add (local.get $d) (local.get $rb)))
            (v128.store (local.get $d) (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23 (local.get $t1) (local.get $t3)))
            (local.set $d (i32.add (local.get $d) (local.get $rb)))
            (v128.store (local.get $d) (i8x16.shuffle 8 9 10 11 12 13 14 15 24 25 26 27 28 29 30 31 (local.get $t1) (local.get $t3)))
            (local.set $c (i32.add (local.get $c) (i32.const 4)))
            (br $quad)))
        (local.set $p (i32.add (local.get $p) (i32.const 4)))
        (br $block)))
    ;; the last positions (plane not a multiple of 4), every channel of a quad
    (block $doneTail
      (loop $tail
        (br_if $doneTail (i32.ge_u (local.get $p) (local.get $plane)))
        (local.set $c (i32.const 0))
        (block $doneTailQuads
          (loop $tailQuad
            (br_if $doneTailQuads (i32.ge_u (local.get $c) (local.get $quads)))
            (local.set $a (i32.add (i32.add (local.get $src) (i32.mul (local.get $c) (local.get $pb))) (i32.shl (local.get $p) (i32.const 2))))
            (local.set $d (i32.add (i32.add (local.get $dst) (i32.mul (local.get $p) (local.get $rb))) (i32.shl (local.get $c) (i32.const 2))))
            (f32.store (local.get $d) (f32.load (local.get $a)))
            (local.set $a (i32.add (local.get $a) (local.get $pb)))
            (f32.store offset=4 (local.get $d) (f32.load (local.get $a)))
            (local.set $a (i32.add (local.get $a) (local.get $pb)))
            (f32.store offset=8 (local.get $d) (f32.load (local.get $a)))
            (local.set $a (i32.add (local.get $a) (local.get $pb)))
            (f32.store offset=12 (local.get $d) (f32.load (local.get $a)))
            (local.set $c (i32.add (local.get $c) (i32.const 4)))
            (br $tailQuad)))
        (local.set $p (i32.add (local.get $p) (i32.const 1)))
        (br $tail)))
    ;; the last channels (cb not a multiple of 4), one by one at every position
    (local.set $c (local.get $quads))
    (block $doneChannels
      (loop $channel
        (br_if $doneChannels (i32.ge_u (local.get $c) (local.get $cb)))
        (local.set $a (i32.add (local.get $src) (i32.mul (local.get $c) (local.get $pb))))
        (local.set $d (i32.add (local.get $dst) (i32.shl (local.get $c) (i32.const 2))))
        (local.set $p (i32.const 0))
        (block $doneOne
          (loop $one
            (br_if $doneOne (i32.ge_u (local.get $p) (local.get $plane)))
            (f32.store (local.get $d) (f32.load (local.get $a)))
            (local.set $d (i32.add (local.get $d) (local.get $rb)))
            (local.set $a (i32.add (local.get $a) (i32.const 4)))
            (local.set $p (i32.add (local.get $p) (i32.const 1)))
            (br $one)))
        (local.set $c (i32.add (local.get $c) (i32.const 1)))
        (br $channel)))
  )
)
