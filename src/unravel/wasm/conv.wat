;; The conv rule's channel choice (src/unravel/rules/conv-kernel.ts, bestChannelLast) with f64x2: two input
;; channels per lane pair, each channel's sum of value × weight over the taps in tap order, in double precision,
;; as the TypeScript rule adds them (identical sums, identical choice, ties included). Built into
;; src/unravel/wasm/conv-wasm.ts by scripts/build-wasm.mjs.
;;
;; Memory, laid out by the caller: at `taps` the i32 tap numbers t (u·kw + v) of the m in-bounds taps; at `rows`
;; the i32 byte addresses of their rows (row r: the cinG float32 input channels of tap r's position, side by
;; side, in the channel-last copy of the input); at `w` the channel's filter as float32 [cinG][kernel taps].
(module
  (memory (export "memory") 1)

  ;; Returns the first channel (0 … cinG − 1) with the largest sign × Σ_r x[r][ci] · w[ci][t_r].
  (func (export "bestChannel")
    (param $taps i32) (param $rows i32) (param $w i32) (param $m i32) (param $cinG i32) (param $kernel i32)
    (param $sign f64) (result i32)
    (local $ci i32) (local $r i32) (local $t i32) (local $row i32) (local $wa i32) (local $wb i32)
    (local $acc v128) (local $v v128) (local $mask v128) (local $top v128) (local $best v128) (local $idx v128)
    (local $signs v128) (local $s f64) (local $top0 f64) (local $top1 f64) (local $b0 i32) (local $b1 i32)
    (local $pairs i32) (local $chBytes i32) (local $kBytes i32)
    (local.set $signs (f64x2.splat (local.get $sign)))
    (local.set $top (f64x2.splat (f64.const -inf)))
    (local.set $best (i64x2.splat (i64.const 0)))
    (local.set $idx (v128.const i64x2 0 1))
    (local.set $kBytes (i32.shl (local.get $kernel) (i32.const 2)))
    (local.set $pairs (i32.and (local.get $cinG) (i32.const -2)))
    ;; channel pairs (ci, ci + 1)
    (block $donePairs
      (loop $pair
        (br_if $donePairs (i32.ge_u (local.get $ci) (local.get $pairs)))
        (local.set $acc (f64x2.splat (f64.const 0)))
        ;; this pair's filters start at w + ci·kernel·4 and one kernel further
        (local.set $wa (i32.add (local.get $w) (i32.mul (local.get $ci) (local.get $kBytes))))
        (local.set $wb (i32.add (local.get $wa) (local.get $kBytes)))
        (local.set $chBytes (i32.shl (local.get $ci) (i32.const 2)))
        (local.set $r (i32.const 0))
        (block $doneTaps
          (loop $tap
            (br_if $doneTaps (i32.ge_u (local.get $r) (local.get $m)))
            (local.set $t (i32.shl (i32.load (i32.add (local.get $taps) (i32.shl (local.get $r) (i32.const 2)))) (i32.const 2)))
            (local.set $row (i32.add (i32.load (i32.add (local.get $rows) (i32.shl (local.get $r) (i32.const 2)))) (local.get $chBytes)))
            (local.set $acc
              (f64x2.add (local.get $acc)
                (f64x2.mul
                  (f64x2.promote_low_f32x4 (v128.load64_zero (local.get $row)))
                  (f64x2.replace_lane 1
                    (f64x2.splat (f64.promote_f32 (f32.load (i32.add (local.get $wa) (local.get $t)))))
                    (f64.promote_f32 (f32.load (i32.add (local.get $wb) (local.get $t))))))))
            (local.set $r (i32.add (local.get $r) (i32.const 1)))
            (br $tap)))
        (local.set $v (f64x2.mul (local.get $acc) (local.get $signs)))
        ;; strictly larger: each lane keeps its first maximum
        (local.set $mask (f64x2.gt (local.get $v) (local.get $top)))
        (local.set $top (v128.bitselect (local.get $v) (local.get $top) (local.get $mask)))
        (local.set $best (v128.bitselect (local.get $idx) (local.get $best) (local.get $mask)))
        (local.set $idx (i64x2.add (local.get $idx) (v128.const i64x2 2 2)))
        (local.set $ci (i32.add (local.get $ci) (i32.const 2)))
        (br $pair)))
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
        (local.set $wa (i32.add (local.get $w) (i32.mul (local.get $pairs) (local.get $kBytes))))
        (local.set $chBytes (i32.shl (local.get $pairs) (i32.const 2)))
        (local.set $r (i32.const 0))
        (block $doneLast
          (loop $lastTap
            (br_if $doneLast (i32.ge_u (local.get $r) (local.get $m)))
            (local.set $t (i32.shl (i32.load (i32.add (local.get $taps) (i32.shl (local.get $r) (i32.const 2)))) (i32.const 2)))
            (local.set $row (i32.add (i32.load (i32.add (local.get $rows) (i32.shl (local.get $r) (i32.const 2)))) (local.get $chBytes)))
            (local.set $s
              (f64.add (local.get $s)
                (f64.mul (f64.promote_f32 (f32.load (local.get $row)))
                         (f64.promote_f32 (f32.load (i32.add (local.get $wa) (local.get $t)))))))
            (local.set $r (i32.add (local.get $r) (i32.const 1)))
            (br $lastTap)))
        (local.set $s (f64.mul (local.get $s) (local.get $sign)))
        (if (f64.gt (local.get $s) (local.get $top0)) (then (local.set $b0 (local.get $pairs))))))
    (local.get $b0))
)
