;; The fully connected rule's scans (src/unravel/rules/fc.ts) over float32 weight rows copied in, with f64x2: each
;; contribution v_i · w_i is the same double as the TypeScript rule's (a product of a double and a float32, one
;; rounding), so the choices and the masses are the same to the last bit. Built into src/unravel/wasm/fc-wasm.ts by
;; scripts/build-wasm.mjs.
;;
;; Memory, laid out by the caller (src/unravel/wasm/fc.ts): `v`, the row's k values v_i = a_i · sign as doubles (0
;; where the activation is zero: such an input never contributes, 0 · w is never above 0); rows of k float32
;; weights (one neuron's weights, contiguous); for the mass split, the accumulated masses (k doubles) and the marks
;; (k bytes) of the inputs kept. k is a multiple of 4.
(module
  (memory (export "memory") 1)

  ;; The first input with the largest positive v_i · w_i of the row at `row`, −1 for none. Two passes: the largest
  ;; value, with pmax (top < c ? c : top: strictly larger only, NaN never), four lane pairs apart so that the
  ;; comparisons do not wait on each other; then the first input whose contribution equals it (the same product, the
  ;; same double).
  (func $argmax (export "argmax")
    (param $v i32) (param $row i32) (param $k i32) (result i32)
    (local $i i32) (local $wv v128) (local $t0 v128) (local $t1 v128) (local $t2 v128) (local $t3 v128)
    (local $c0 v128) (local $c1 v128) (local $top f64) (local $k8 i32) (local $vi i32) (local $ri i32)
    (local.set $t0 (f64x2.splat (f64.const 0)))
    (local.set $t1 (local.get $t0))
    (local.set $t2 (local.get $t0))
    (local.set $t3 (local.get $t0))
    (local.set $k8 (i32.and (local.get $k) (i32.const -8)))
    (block $done
      (loop $step
        (br_if $done (i32.ge_u (local.get $i) (local.get $k8)))
        (local.set $vi (i32.add (local.get $v) (i32.shl (local.get $i) (i32.const 3))))
        (local.set $ri (i32.add (local.get $row) (i32.shl (local.get $i) (i32.const 2))))
        (local.set $wv (v128.load (local.get $ri)))
        (local.set $t0 (f64x2.pmax (local.get $t0)
          (f64x2.mul (v128.load (local.get $vi)) (f64x2.promote_low_f32x4 (local.get $wv)))))
        (local.set $t1 (f64x2.pmax (local.get $t1)
          (f64x2.mul (v128.load offset=16 (local.get $vi))
                     (f64x2.promote_low_f32x4 (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 (local.get $wv) (local.get $wv))))))
        (local.set $wv (v128.load offset=16 (local.get $ri)))
        (local.set $t2 (f64x2.pmax (local.get $t2)
          (f64x2.mul (v128.load offset=32 (local.get $vi)) (f64x2.promote_low_f32x4 (local.get $wv)))))
        (local.set $t3 (f64x2.pmax (local.get $t3)
          (f64x2.mul (v128.load offset=48 (local.get $vi))
                     (f64x2.promote_low_f32x4 (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 (local.get $wv) (local.get $wv))))))
        (local.set $i (i32.add (local.get $i) (i32.const 8)))
        (br $step)))
    ;; a last four inputs (k ≡ 4 mod 8)
    (if (i32.lt_u (local.get $i) (local.get $k))
      (then
        (local.set $vi (i32.add (local.get $v) (i32.shl (local.get $i) (i32.const 3))))
        (local.set $wv (v128.load (i32.add (local.get $row) (i32.shl (local.get $i) (i32.const 2)))))
        (local.set $t0 (f64x2.pmax (local.get $t0)
          (f64x2.mul (v128.load (local.get $vi)) (f64x2.promote_low_f32x4 (local.get $wv)))))
        (local.set $t1 (f64x2.pmax (local.get $t1)
          (f64x2.mul (v128.load offset=16 (local.get $vi))
                     (f64x2.promote_low_f32x4 (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 (local.get $wv) (local.get $wv))))))))
    (local.set $t0 (f64x2.pmax (f64x2.pmax (local.get $t0) (local.get $t1)) (f64x2.pmax (local.get $t2) (local.get $t3))))
    (local.set $top (f64.max (f64x2.extract_lane 0 (local.get $t0)) (f64x2.extract_lane 1 (local.get $t0))))
    (if (i32.eqz (f64.gt (local.get $top) (f64.const 0))) (then (return (i32.const -1))))
    (local.set $t0 (f64x2.splat (local.get $top)))
    (local.set $i (i32.const 0))
    (loop $find
      (local.set $vi (i32.add (local.get $v) (i32.shl (local.get $i) (i32.const 3))))
      (local.set $wv (v128.load (i32.add (local.get $row) (i32.shl (local.get $i) (i32.const 2)))))
      (local.set $c0 (f64x2.mul (v128.load (local.get $vi)) (f64x2.promote_low_f32x4 (local.get $wv))))
      (local.set $c1
        (f64x2.mul (v128.load offset=16 (local.get $vi))
                   (f64x2.promote_low_f32x4 (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 (local.get $wv) (local.get $wv)))))
      (if (v128.any_true (v128.or (f64x2.eq (local.get $c0) (local.get $t0)) (f64x2.eq (local.get $c1) (local.get $t0))))
        (then
          (if (f64.eq (f64x2.extract_lane 0 (local.get $c0)) (local.get $top)) (then (return (local.get $i))))
          (if (f64.eq (f64x2.extract_lane 1 (local.get $c0)) (local.get $top)) (then (return (i32.add (local.get $i) (i32.const 1)))))
          (if (f64.eq (f64x2.extract_lane 0 (local.get $c1)) (local.get $top)) (then (return (i32.add (local.get $i) (i32.const 2)))))
          (return (i32.add (local.get $i) (i32.const 3)))))
      (local.set $i (i32.add (local.get $i) (i32.const 4)))
      (br_if $find (i32.lt_u (local.get $i) (local.get $k))))
    (i32.const -1))

  ;; argmax where every v_i is a float32 (a float32 activation times ±1), `v32` those values as float32: each
  ;; contribution v_i · w_i is then exact in double precision, and rounding is monotonic, so the largest one is among
  ;; the inputs whose contribution rounded to float32 is the largest rounded one. A first pass finds that value in
  ;; float32, eight inputs per step (pmax from +0: positive only, NaN never); a second finds the inputs whose rounded
  ;; contribution equals it and chooses among them by the double one, the first on ties. The same input as `argmax`,
  ;; which decides where no rounded contribution is above 0 (none positive, or positive ones that underflowed).
  (func (export "argmax32")
    (param $v32 i32) (param $v i32) (param $row i32) (param $k i32) (result i32)
    (local $i i32) (local $k8 i32) (local $t0 v128) (local $t1 v128) (local $ms v128) (local $m f32)
    (local $bits i32) (local $j i32) (local $d f64) (local $bd f64) (local $best i32)
    (local.set $t0 (f32x4.splat (f32.const 0)))
    (local.set $t1 (local.get $t0))
    (local.set $k8 (i32.and (local.get $k) (i32.const -8)))
    (block $done
      (loop $step
        (br_if $done (i32.ge_u (local.get $i) (local.get $k8)))
        (local.set $t0 (f32x4.pmax (local.get $t0)
          (f32x4.mul (v128.load (i32.add (local.get $v32) (i32.shl (local.get $i) (i32.const 2))))
                     (v128.load (i32.add (local.get $row) (i32.shl (local.get $i) (i32.const 2)))))))
        (local.set $t1 (f32x4.pmax (local.get $t1)
          (f32x4.mul (v128.load offset=16 (i32.add (local.get $v32) (i32.shl (local.get $i) (i32.const 2))))
                     (v128.load offset=16 (i32.add (local.get $row) (i32.shl (local.get $i) (i32.const 2)))))))
        (local.set $i (i32.add (local.get $i) (i32.const 8)))
        (br $step)))
    ;; a last four inputs (k ≡ 4 mod 8)
    (if (i32.lt_u (local.get $i) (local.get $k))
      (then
        (local.set $t0 (f32x4.pmax (local.get $t0)
          (f32x4.mul (v128.load (i32.add (local.get $v32) (i32.shl (local.get $i) (i32.const 2))))
                     (v128.load (i32.add (local.get $row) (i32.shl (local.get $i) (i32.const 2)))))))))
    (local.set $t0 (f32x4.max (local.get $t0) (local.get $t1)))
    (local.set $m (f32.max (f32.max (f32x4.extract_lane 0 (local.get $t0)) (f32x4.extract_lane 1 (local.get $t0)))
                           (f32.max (f32x4.extract_lane 2 (local.get $t0)) (f32x4.extract_lane 3 (local.get $t0)))))
    (if (i32.eqz (f32.gt (local.get $m) (f32.const 0)))
      (then (return (call $argmax (local.get $v) (local.get $row) (local.get $k)))))
    (local.set $ms (f32x4.splat (local.get $m)))
    (local.set $best (i32.const -1))
    (local.set $bd (f64.const 0))
    (local.set $i (i32.const 0))
    (block $end
      (loop $scan
        ;; eight inputs per step until one ties (a tight loop: few do), then that step's first four
        (block $hit
          (loop $oct
            (br_if $hit (i32.gt_u (i32.add (local.get $i) (i32.const 8)) (local.get $k)))
            (local.set $i (i32.add (local.get $i) (i32.const 8)))
            (br_if $oct (i32.eqz (v128.any_true (v128.or
              (f32x4.eq (local.get $ms)
                (f32x4.mul (v128.load offset=0 (i32.add (local.get $v32) (i32.shl (i32.sub (local.get $i) (i32.const 8)) (i32.const 2))))
                           (v128.load offset=0 (i32.add (local.get $row) (i32.shl (i32.sub (local.get $i) (i32.const 8)) (i32.const 2))))))
              (f32x4.eq (local.get $ms)
                (f32x4.mul (v128.load offset=16 (i32.add (local.get $v32) (i32.shl (i32.sub (local.get $i) (i32.const 8)) (i32.const 2))))
                           (v128.load offset=16 (i32.add (local.get $row) (i32.shl (i32.sub (local.get $i) (i32.const 8)) (i32.const 2))))))))))
            (local.set $i (i32.sub (local.get $i) (i32.const 8)))))
        (br_if $end (i32.ge_u (local.get $i) (local.get $k)))
        (local.set $bits (i32x4.bitmask (f32x4.eq (local.get $ms)
          (f32x4.mul (v128.load (i32.add (local.get $v32) (i32.shl (local.get $i) (i32.const 2))))
                     (v128.load (i32.add (local.get $row) (i32.shl (local.get $i) (i32.const 2))))))))
        (block $noLanes
          (br_if $noLanes (i32.eqz (local.get $bits)))
          (loop $lane
            (local.set $j (i32.add (local.get $i) (i32.ctz (local.get $bits))))
            (local.set $bits (i32.and (local.get $bits) (i32.sub (local.get $bits) (i32.const 1))))
            (local.set $d (f64.mul (f64.load (i32.add (local.get $v) (i32.shl (local.get $j) (i32.const 3))))
                                   (f64.promote_f32 (f32.load (i32.add (local.get $row) (i32.shl (local.get $j) (i32.const 2)))))))
            (if (f64.gt (local.get $d) (local.get $bd))
              (then (local.set $bd (local.get $d)) (local.set $best (local.get $j))))
            (br_if $lane (local.get $bits))))
        (local.set $i (i32.add (local.get $i) (i32.const 4)))
        (br $scan)))
    (local.get $best))

  ;; Four rows in two lane pairs, (a, b) and (c, d): input i's weights of a pair are picked from the rows' float32 x4
  ;; loads by one shuffle, each lane adding its own row's contributions in input order.
  ;; Per row r of a, b, c, d (byte addresses), the sum over i in input order of v_i · w_r[i] where it is above 0 (+0
  ;; elsewhere, which changes no sum that starts at +0): four doubles at `out`.
  (func (export "sums")
    (param $v i32) (param $a i32) (param $b i32) (param $c i32) (param $d i32) (param $k i32) (param $out i32)
    (local $i i32) (local $off i32) (local $va v128) (local $vb v128) (local $vc v128) (local $vd v128)
    (local $x v128) (local $p v128) (local $ab v128) (local $cd v128) (local $zero v128)
    (local.set $zero (f64x2.splat (f64.const 0)))
    (local.set $ab (local.get $zero))
    (local.set $cd (local.get $zero))
    (block $done
      (loop $step
        (br_if $done (i32.ge_u (local.get $i) (local.get $k)))
        (local.set $off (i32.shl (local.get $i) (i32.const 2)))
        (local.set $va (v128.load (i32.add (local.get $a) (local.get $off))))
        (local.set $vb (v128.load (i32.add (local.get $b) (local.get $off))))
        (local.set $vc (v128.load (i32.add (local.get $c) (local.get $off))))
        (local.set $vd (v128.load (i32.add (local.get $d) (local.get $off))))
        (local.set $off (i32.add (local.get $v) (i32.shl (local.get $i) (i32.const 3))))
        ;; input i
        (local.set $x (v128.load64_splat (local.get $off)))
        (local.set $p (f64x2.mul (local.get $x) (f64x2.promote_low_f32x4 (i8x16.shuffle 0 1 2 3 16 17 18 19 0 1 2 3 16 17 18 19 (local.get $va) (local.get $vb)))))
        (local.set $ab (f64x2.add (local.get $ab) (v128.and (local.get $p) (f64x2.gt (local.get $p) (local.get $zero)))))
        (local.set $p (f64x2.mul (local.get $x) (f64x2.promote_low_f32x4 (i8x16.shuffle 0 1 2 3 16 17 18 19 0 1 2 3 16 17 18 19 (local.get $vc) (local.get $vd)))))
        (local.set $cd (f64x2.add (local.get $cd) (v128.and (local.get $p) (f64x2.gt (local.get $p) (local.get $zero)))))
        ;; input i + 1
        (local.set $x (v128.load64_splat (i32.add (local.get $off) (i32.const 8))))
        (local.set $p (f64x2.mul (local.get $x) (f64x2.promote_low_f32x4 (i8x16.shuffle 4 5 6 7 20 21 22 23 4 5 6 7 20 21 22 23 (local.get $va) (local.get $vb)))))
        (local.set $ab (f64x2.add (local.get $ab) (v128.and (local.get $p) (f64x2.gt (local.get $p) (local.get $zero)))))
        (local.set $p (f64x2.mul (local.get $x) (f64x2.promote_low_f32x4 (i8x16.shuffle 4 5 6 7 20 21 22 23 4 5 6 7 20 21 22 23 (local.get $vc) (local.get $vd)))))
        (local.set $cd (f64x2.add (local.get $cd) (v128.and (local.get $p) (f64x2.gt (local.get $p) (local.get $zero)))))
        ;; input i + 2
        (local.set $x (v128.load64_splat (i32.add (local.get $off) (i32.const 16))))
        (local.set $p (f64x2.mul (local.get $x) (f64x2.promote_low_f32x4 (i8x16.shuffle 8 9 10 11 24 25 26 27 8 9 10 11 24 25 26 27 (local.get $va) (local.get $vb)))))
        (local.set $ab (f64x2.add (local.get $ab) (v128.and (local.get $p) (f64x2.gt (local.get $p) (local.get $zero)))))
        (local.set $p (f64x2.mul (local.get $x) (f64x2.promote_low_f32x4 (i8x16.shuffle 8 9 10 11 24 25 26 27 8 9 10 11 24 25 26 27 (local.get $vc) (local.get $vd)))))
        (local.set $cd (f64x2.add (local.get $cd) (v128.and (local.get $p) (f64x2.gt (local.get $p) (local.get $zero)))))
        ;; input i + 3
        (local.set $x (v128.load64_splat (i32.add (local.get $off) (i32.const 24))))
        (local.set $p (f64x2.mul (local.get $x) (f64x2.promote_low_f32x4 (i8x16.shuffle 12 13 14 15 28 29 30 31 12 13 14 15 28 29 30 31 (local.get $va) (local.get $vb)))))
        (local.set $ab (f64x2.add (local.get $ab) (v128.and (local.get $p) (f64x2.gt (local.get $p) (local.get $zero)))))
        (local.set $p (f64x2.mul (local.get $x) (f64x2.promote_low_f32x4 (i8x16.shuffle 12 13 14 15 28 29 30 31 12 13 14 15 28 29 30 31 (local.get $vc) (local.get $vd)))))
        (local.set $cd (f64x2.add (local.get $cd) (v128.and (local.get $p) (f64x2.gt (local.get $p) (local.get $zero)))))
        (local.set $i (i32.add (local.get $i) (i32.const 4)))
        (br $step)))
    (v128.store (local.get $out) (local.get $ab))
    (v128.store (i32.add (local.get $out) (i32.const 16)) (local.get $cd)))

  ;; The split of four neurons' masses: each input gets share_r · v_i · w_r[i] from each row r whose contribution is
  ;; above 0, rows in the order a, b, c, d (the shares, four doubles at `shares`), and is marked; `acc` k doubles,
  ;; `marks` k bytes. No branch (whether an input is kept follows no pattern): the others add +0, which leaves a mass
  ;; as it is (masses start at +0 and are never −0).
  (func (export "split")
    (param $v i32) (param $a i32) (param $b i32) (param $c i32) (param $d i32) (param $k i32) (param $shares i32)
    (param $acc i32) (param $marks i32)
    (local $i i32) (local $off i32) (local $va v128) (local $vb v128) (local $vc v128) (local $vd v128)
    (local $sab v128) (local $scd v128) (local $x v128) (local $ab v128) (local $cd v128) (local $mab v128) (local $mcd v128)
    (local $zero v128) (local $m f64) (local $vi i32) (local $ai i32) (local $mi i32)
    (local.set $zero (f64x2.splat (f64.const 0)))
    (local.set $sab (v128.load (local.get $shares)))
    (local.set $scd (v128.load offset=16 (local.get $shares)))
    (block $done
      (loop $step
        (br_if $done (i32.ge_u (local.get $i) (local.get $k)))
        (local.set $off (i32.shl (local.get $i) (i32.const 2)))
        (local.set $va (v128.load (i32.add (local.get $a) (local.get $off))))
        (local.set $vb (v128.load (i32.add (local.get $b) (local.get $off))))
        (local.set $vc (v128.load (i32.add (local.get $c) (local.get $off))))
        (local.set $vd (v128.load (i32.add (local.get $d) (local.get $off))))
        (local.set $vi (i32.add (local.get $v) (i32.shl (local.get $i) (i32.const 3))))
        (local.set $ai (i32.add (local.get $acc) (i32.shl (local.get $i) (i32.const 3))))
        (local.set $mi (i32.add (local.get $marks) (local.get $i)))
        ;; input i + 0
        (local.set $x (v128.load64_splat offset=0 (local.get $vi)))
        (local.set $ab (f64x2.mul (local.get $x) (f64x2.promote_low_f32x4 (i8x16.shuffle 0 1 2 3 16 17 18 19 0 1 2 3 16 17 18 19 (local.get $va) (local.get $vb)))))
        (local.set $cd (f64x2.mul (local.get $x) (f64x2.promote_low_f32x4 (i8x16.shuffle 0 1 2 3 16 17 18 19 0 1 2 3 16 17 18 19 (local.get $vc) (local.get $vd)))))
        (local.set $mab (f64x2.gt (local.get $ab) (local.get $zero)))
        (local.set $mcd (f64x2.gt (local.get $cd) (local.get $zero)))
        (local.set $ab (v128.and (f64x2.mul (local.get $ab) (local.get $sab)) (local.get $mab)))
        (local.set $cd (v128.and (f64x2.mul (local.get $cd) (local.get $scd)) (local.get $mcd)))
        (local.set $m (f64.load offset=0 (local.get $ai)))
        (local.set $m (f64.add (local.get $m) (f64x2.extract_lane 0 (local.get $ab))))
        (local.set $m (f64.add (local.get $m) (f64x2.extract_lane 1 (local.get $ab))))
        (local.set $m (f64.add (local.get $m) (f64x2.extract_lane 0 (local.get $cd))))
        (local.set $m (f64.add (local.get $m) (f64x2.extract_lane 1 (local.get $cd))))
        (f64.store offset=0 (local.get $ai) (local.get $m))
        (i32.store8 offset=0 (local.get $mi)
          (i32.or (i32.load8_u offset=0 (local.get $mi)) (v128.any_true (v128.or (local.get $mab) (local.get $mcd)))))
        ;; input i + 1
        (local.set $x (v128.load64_splat offset=8 (local.get $vi)))
        (local.set $ab (f64x2.mul (local.get $x) (f64x2.promote_low_f32x4 (i8x16.shuffle 4 5 6 7 20 21 22 23 4 5 6 7 20 21 22 23 (local.get $va) (local.get $vb)))))
        (local.set $cd (f64x2.mul (local.get $x) (f64x2.promote_low_f32x4 (i8x16.shuffle 4 5 6 7 20 21 22 23 4 5 6 7 20 21 22 23 (local.get $vc) (local.get $vd)))))
        (local.set $mab (f64x2.gt (local.get $ab) (local.get $zero)))
        (local.set $mcd (f64x2.gt (local.get $cd) (local.get $zero)))
        (local.set $ab (v128.and (f64x2.mul (local.get $ab) (local.get $sab)) (local.get $mab)))
        (local.set $cd (v128.and (f64x2.mul (local.get $cd) (local.get $scd)) (local.get $mcd)))
        (local.set $m (f64.load offset=8 (local.get $ai)))
        (local.set $m (f64.add (local.get $m) (f64x2.extract_lane 0 (local.get $ab))))
        (local.set $m (f64.add (local.get $m) (f64x2.extract_lane 1 (local.get $ab))))
        (local.set $m (f64.add (local.get $m) (f64x2.extract_lane 0 (local.get $cd))))
        (local.set $m (f64.add (local.get $m) (f64x2.extract_lane 1 (local.get $cd))))
        (f64.store offset=8 (local.get $ai) (local.get $m))
        (i32.store8 offset=1 (local.get $mi)
          (i32.or (i32.load8_u offset=1 (local.get $mi)) (v128.any_true (v128.or (local.get $mab) (local.get $mcd)))))
        ;; input i + 2
        (local.set $x (v128.load64_splat offset=16 (local.get $vi)))
        (local.set $ab (f64x2.mul (local.get $x) (f64x2.promote_low_f32x4 (i8x16.shuffle 8 9 10 11 24 25 26 27 8 9 10 11 24 25 26 27 (local.get $va) (local.get $vb)))))
        (local.set $cd (f64x2.mul (local.get $x) (f64x2.promote_low_f32x4 (i8x16.shuffle 8 9 10 11 24 25 26 27 8 9 10 11 24 25 26 27 (local.get $vc) (local.get $vd)))))
        (local.set $mab (f64x2.gt (local.get $ab) (local.get $zero)))
        (local.set $mcd (f64x2.gt (local.get $cd) (local.get $zero)))
        (local.set $ab (v128.and (f64x2.mul (local.get $ab) (local.get $sab)) (local.get $mab)))
        (local.set $cd (v128.and (f64x2.mul (local.get $cd) (local.get $scd)) (local.get $mcd)))
        (local.set $m (f64.load offset=16 (local.get $ai)))
        (local.set $m (f64.add (local.get $m) (f64x2.extract_lane 0 (local.get $ab))))
        (local.set $m (f64.add (local.get $m) (f64x2.extract_lane 1 (local.get $ab))))
        (local.set $m (f64.add (local.get $m) (f64x2.extract_lane 0 (local.get $cd))))
        (local.set $m (f64.add (local.get $m) (f64x2.extract_lane 1 (local.get $cd))))
        (f64.store offset=16 (local.get $ai) (local.get $m))
        (i32.store8 offset=2 (local.get $mi)
          (i32.or (i32.load8_u offset=2 (local.get $mi)) (v128.any_true (v128.or (local.get $mab) (local.get $mcd)))))
        ;; input i + 3
        (local.set $x (v128.load64_splat offset=24 (local.get $vi)))
        (local.set $ab (f64x2.mul (local.get $x) (f64x2.promote_low_f32x4 (i8x16.shuffle 12 13 14 15 28 29 30 31 12 13 14 15 28 29 30 31 (local.get $va) (local.get $vb)))))
        (local.set $cd (f64x2.mul (local.get $x) (f64x2.promote_low_f32x4 (i8x16.shuffle 12 13 14 15 28 29 30 31 12 13 14 15 28 29 30 31 (local.get $vc) (local.get $vd)))))
        (local.set $mab (f64x2.gt (local.get $ab) (local.get $zero)))
        (local.set $mcd (f64x2.gt (local.get $cd) (local.get $zero)))
        (local.set $ab (v128.and (f64x2.mul (local.get $ab) (local.get $sab)) (local.get $mab)))
        (local.set $cd (v128.and (f64x2.mul (local.get $cd) (local.get $scd)) (local.get $mcd)))
        (local.set $m (f64.load offset=24 (local.get $ai)))
        (local.set $m (f64.add (local.get $m) (f64x2.extract_lane 0 (local.get $ab))))
        (local.set $m (f64.add (local.get $m) (f64x2.extract_lane 1 (local.get $ab))))
        (local.set $m (f64.add (local.get $m) (f64x2.extract_lane 0 (local.get $cd))))
        (local.set $m (f64.add (local.get $m) (f64x2.extract_lane 1 (local.get $cd))))
        (f64.store offset=24 (local.get $ai) (local.get $m))
        (i32.store8 offset=3 (local.get $mi)
          (i32.or (i32.load8_u offset=3 (local.get $mi)) (v128.any_true (v128.or (local.get $mab) (local.get $mcd)))))
        (local.set $i (i32.add (local.get $i) (i32.const 4)))
        (br $step)))))
