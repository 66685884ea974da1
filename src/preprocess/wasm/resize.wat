;; The shrinking passes of the resize (src/preprocess/resize.ts, alongRow and alongColumn for a `box` plan) with
;; f64x2: a pixel's four channels in two lane pairs (red, green) and (blue, alpha), each channel's sum of value ×
;; weight over the taps in tap order, in double precision and rounded to float32 after every tap, as jimp's
;; accumulators are (identical sums, identical pixels). Built into src/preprocess/wasm/resize-wasm.ts by
;; scripts/build-wasm.mjs.
;;
;; Memory, laid out by the caller. A plan is three arrays: `start` (i32, one more than the outputs: output i reads
;; taps start[i] … start[i+1] − 1), `off` (i32, per tap: the byte offset of the source pixel from the start of its row
;; in pass one, of the source row in pass two) and `w` (f64, per tap: its weight).
(module
  (memory (export "memory") 1)

  ;; Pass one over `rows` source rows of RGBA bytes (`rowBytes` apart, from `src`) into as many rows of `n` RGBA
  ;; float32 pixels (`dstRowBytes` apart, from `dst`). Per output pixel: Σ value × w over its taps whose alpha is
  ;; not 0, then colours ÷ Σ w of those taps (0 when there is none) and alpha × `alphaScale`, each rounded to
  ;; float32. A transparent tap adds nothing in TypeScript (skipped); here its weight is taken as 0, which adds
  ;; exactly nothing to a float32 sum (s + 0 = s) or to Σ w. Two pixels at a time (A: x, B: x + 1), each with its
  ;; own taps in order: their chains of additions, each waiting on the last rounding, overlap.
  (func (export "rowsBox")
    (param $src i32) (param $rows i32) (param $rowBytes i32) (param $dst i32) (param $dstRowBytes i32)
    (param $start i32) (param $off i32) (param $w i32) (param $n i32) (param $alphaScale f64)
    (local $r i32) (local $s i32) (local $d i32) (local $x i32) (local $tA i32) (local $eA i32) (local $tB i32)
    (local $eB i32) (local $common i32) (local $px v128) (local $m v128) (local $k f64)
    (local $loA v128) (local $hiA v128) (local $seenA f64) (local $loB v128) (local $hiB v128) (local $seenB f64)
    (block $doneRows
      (loop $row
        (br_if $doneRows (i32.ge_u (local.get $r) (local.get $rows)))
        (local.set $s (i32.add (local.get $src) (i32.mul (local.get $r) (local.get $rowBytes))))
        (local.set $d (i32.add (local.get $dst) (i32.mul (local.get $r) (local.get $dstRowBytes))))
        (local.set $x (i32.const 0))
        (block $donePairs
          (loop $pair
            (br_if $donePairs (i32.ge_u (i32.add (local.get $x) (i32.const 1)) (local.get $n)))
            (local.set $tA (i32.load (i32.add (local.get $start) (i32.shl (local.get $x) (i32.const 2)))))
            (local.set $eA (i32.load (i32.add (local.get $start) (i32.shl (i32.add (local.get $x) (i32.const 1)) (i32.const 2)))))
            (local.set $tB (local.get $eA))
            (local.set $eB (i32.load (i32.add (local.get $start) (i32.shl (i32.add (local.get $x) (i32.const 2)) (i32.const 2)))))
            (local.set $common (i32.add (local.get $tA)
              (select (i32.sub (local.get $eA) (local.get $tA)) (i32.sub (local.get $eB) (local.get $tB))
                (i32.lt_u (i32.sub (local.get $eA) (local.get $tA)) (i32.sub (local.get $eB) (local.get $tB))))))
            (local.set $loA (f64x2.splat (f64.const 0)))
            (local.set $hiA (f64x2.splat (f64.const 0)))
            (local.set $seenA (f64.const 0))
            (local.set $loB (f64x2.splat (f64.const 0)))
            (local.set $hiB (f64x2.splat (f64.const 0)))
            (local.set $seenB (f64.const 0))
            (block $doneBoth
              (loop $both
                (br_if $doneBoth (i32.ge_u (local.get $tA) (local.get $common)))
                (local.set $px
                  (i32x4.extend_low_i16x8_u (i16x8.extend_low_i8x16_u
                    (v128.load32_zero (i32.add (local.get $s) (i32.load (i32.add (local.get $off) (i32.shl (local.get $tA) (i32.const 2)))))))))
                (local.set $m
                  (f64x2.splat (select (f64.load (i32.add (local.get $w) (i32.shl (local.get $tA) (i32.const 3)))) (f64.const 0) (i32x4.extract_lane 3 (local.get $px)))))
                (local.set $loA
                  (f64x2.promote_low_f32x4 (f32x4.demote_f64x2_zero
                    (f64x2.add (local.get $loA) (f64x2.mul (f64x2.convert_low_i32x4_u (local.get $px)) (local.get $m))))))
                (local.set $hiA
                  (f64x2.promote_low_f32x4 (f32x4.demote_f64x2_zero
                    (f64x2.add (local.get $hiA)
                      (f64x2.mul (f64x2.convert_low_i32x4_u (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 (local.get $px) (local.get $px))) (local.get $m))))))
                (local.set $seenA (f64.add (local.get $seenA) (f64x2.extract_lane 0 (local.get $m))))
                (local.set $tA (i32.add (local.get $tA) (i32.const 1)))
                (local.set $px
                  (i32x4.extend_low_i16x8_u (i16x8.extend_low_i8x16_u
                    (v128.load32_zero (i32.add (local.get $s) (i32.load (i32.add (local.get $off) (i32.shl (local.get $tB) (i32.const 2)))))))))
                (local.set $m
                  (f64x2.splat (select (f64.load (i32.add (local.get $w) (i32.shl (local.get $tB) (i32.const 3)))) (f64.const 0) (i32x4.extract_lane 3 (local.get $px)))))
                (local.set $loB
                  (f64x2.promote_low_f32x4 (f32x4.demote_f64x2_zero
                    (f64x2.add (local.get $loB) (f64x2.mul (f64x2.convert_low_i32x4_u (local.get $px)) (local.get $m))))))
                (local.set $hiB
                  (f64x2.promote_low_f32x4 (f32x4.demote_f64x2_zero
                    (f64x2.add (local.get $hiB)
                      (f64x2.mul (f64x2.convert_low_i32x4_u (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 (local.get $px) (local.get $px))) (local.get $m))))))
                (local.set $seenB (f64.add (local.get $seenB) (f64x2.extract_lane 0 (local.get $m))))
                (local.set $tB (i32.add (local.get $tB) (i32.const 1)))
                (br $both)))
            (block $doneA
              (loop $restA
                (br_if $doneA (i32.ge_u (local.get $tA) (local.get $eA)))
                (local.set $px
                  (i32x4.extend_low_i16x8_u (i16x8.extend_low_i8x16_u
                    (v128.load32_zero (i32.add (local.get $s) (i32.load (i32.add (local.get $off) (i32.shl (local.get $tA) (i32.const 2)))))))))
                (local.set $m
                  (f64x2.splat (select (f64.load (i32.add (local.get $w) (i32.shl (local.get $tA) (i32.const 3)))) (f64.const 0) (i32x4.extract_lane 3 (local.get $px)))))
                (local.set $loA
                  (f64x2.promote_low_f32x4 (f32x4.demote_f64x2_zero
                    (f64x2.add (local.get $loA) (f64x2.mul (f64x2.convert_low_i32x4_u (local.get $px)) (local.get $m))))))
                (local.set $hiA
                  (f64x2.promote_low_f32x4 (f32x4.demote_f64x2_zero
                    (f64x2.add (local.get $hiA)
                      (f64x2.mul (f64x2.convert_low_i32x4_u (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 (local.get $px) (local.get $px))) (local.get $m))))))
                (local.set $seenA (f64.add (local.get $seenA) (f64x2.extract_lane 0 (local.get $m))))
                (local.set $tA (i32.add (local.get $tA) (i32.const 1)))
                (br $restA)))
            (block $doneB
              (loop $restB
                (br_if $doneB (i32.ge_u (local.get $tB) (local.get $eB)))
                (local.set $px
                  (i32x4.extend_low_i16x8_u (i16x8.extend_low_i8x16_u
                    (v128.load32_zero (i32.add (local.get $s) (i32.load (i32.add (local.get $off) (i32.shl (local.get $tB) (i32.const 2)))))))))
                (local.set $m
                  (f64x2.splat (select (f64.load (i32.add (local.get $w) (i32.shl (local.get $tB) (i32.const 3)))) (f64.const 0) (i32x4.extract_lane 3 (local.get $px)))))
                (local.set $loB
                  (f64x2.promote_low_f32x4 (f32x4.demote_f64x2_zero
                    (f64x2.add (local.get $loB) (f64x2.mul (f64x2.convert_low_i32x4_u (local.get $px)) (local.get $m))))))
                (local.set $hiB
                  (f64x2.promote_low_f32x4 (f32x4.demote_f64x2_zero
                    (f64x2.add (local.get $hiB)
                      (f64x2.mul (f64x2.convert_low_i32x4_u (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 (local.get $px) (local.get $px))) (local.get $m))))))
                (local.set $seenB (f64.add (local.get $seenB) (f64x2.extract_lane 0 (local.get $m))))
                (local.set $tB (i32.add (local.get $tB) (i32.const 1)))
                (br $restB)))
            (local.set $k (select (f64.div (f64.const 1) (local.get $seenA)) (f64.const 0) (f64.ne (local.get $seenA) (f64.const 0))))
            (v128.store (i32.add (local.get $d) (i32.shl (local.get $x) (i32.const 4)))
              (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23
                (f32x4.demote_f64x2_zero (f64x2.mul (local.get $loA) (f64x2.splat (local.get $k))))
                (f32x4.demote_f64x2_zero
                  (f64x2.mul (local.get $hiA) (f64x2.replace_lane 1 (f64x2.splat (local.get $k)) (local.get $alphaScale))))))
            (local.set $k (select (f64.div (f64.const 1) (local.get $seenB)) (f64.const 0) (f64.ne (local.get $seenB) (f64.const 0))))
            (v128.store (i32.add (local.get $d) (i32.shl (i32.add (local.get $x) (i32.const 1)) (i32.const 4)))
              (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23
                (f32x4.demote_f64x2_zero (f64x2.mul (local.get $loB) (f64x2.splat (local.get $k))))
                (f32x4.demote_f64x2_zero
                  (f64x2.mul (local.get $hiB) (f64x2.replace_lane 1 (f64x2.splat (local.get $k)) (local.get $alphaScale))))))
            (local.set $x (i32.add (local.get $x) (i32.const 2)))
            (br $pair)))
        ;; an odd last pixel
        (if (i32.lt_u (local.get $x) (local.get $n))
          (then
            (local.set $tA (i32.load (i32.add (local.get $start) (i32.shl (local.get $x) (i32.const 2)))))
            (local.set $eA (i32.load (i32.add (local.get $start) (i32.shl (i32.add (local.get $x) (i32.const 1)) (i32.const 2)))))
            (local.set $loA (f64x2.splat (f64.const 0)))
            (local.set $hiA (f64x2.splat (f64.const 0)))
            (local.set $seenA (f64.const 0))
            (block $doneLast
              (loop $last
                (br_if $doneLast (i32.ge_u (local.get $tA) (local.get $eA)))
                (local.set $px
                  (i32x4.extend_low_i16x8_u (i16x8.extend_low_i8x16_u
                    (v128.load32_zero (i32.add (local.get $s) (i32.load (i32.add (local.get $off) (i32.shl (local.get $tA) (i32.const 2)))))))))
                (local.set $m
                  (f64x2.splat (select (f64.load (i32.add (local.get $w) (i32.shl (local.get $tA) (i32.const 3)))) (f64.const 0) (i32x4.extract_lane 3 (local.get $px)))))
                (local.set $loA
                  (f64x2.promote_low_f32x4 (f32x4.demote_f64x2_zero
                    (f64x2.add (local.get $loA) (f64x2.mul (f64x2.convert_low_i32x4_u (local.get $px)) (local.get $m))))))
                (local.set $hiA
                  (f64x2.promote_low_f32x4 (f32x4.demote_f64x2_zero
                    (f64x2.add (local.get $hiA)
                      (f64x2.mul (f64x2.convert_low_i32x4_u (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 (local.get $px) (local.get $px))) (local.get $m))))))
                (local.set $seenA (f64.add (local.get $seenA) (f64x2.extract_lane 0 (local.get $m))))
                (local.set $tA (i32.add (local.get $tA) (i32.const 1)))
                (br $last)))
            (local.set $k (select (f64.div (f64.const 1) (local.get $seenA)) (f64.const 0) (f64.ne (local.get $seenA) (f64.const 0))))
            (v128.store (i32.add (local.get $d) (i32.shl (local.get $x) (i32.const 4)))
              (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23
                (f32x4.demote_f64x2_zero (f64x2.mul (local.get $loA) (f64x2.splat (local.get $k))))
                (f32x4.demote_f64x2_zero
                  (f64x2.mul (local.get $hiA) (f64x2.replace_lane 1 (f64x2.splat (local.get $k)) (local.get $alphaScale))))))))
        (local.set $r (i32.add (local.get $r) (i32.const 1)))
        (br $row))))

  ;; Pass two into `ny` rows of `n` RGBA bytes side by side from `out`, out of pass one's rows (float32 RGBA pixels
  ;; from `pass`; a tap's `off` is its row's byte offset from `pass`). Per output pixel: Σ value × w over its taps
  ;; whose alpha is not 0, rounded to float32 after each, then colours ÷ Σ w (0 when none) and alpha × `alphaScale`,
  ;; rounded as Math.round does (halves up) and stored as a Uint8Array stores (the low 8 bits).
  (func (export "columnsBox")
    (param $pass i32) (param $start i32) (param $off i32) (param $w i32) (param $ny i32) (param $n i32) (param $out i32)
    (param $alphaScale f64)
    (local $y i32) (local $x i32) (local $t i32) (local $first i32) (local $end i32) (local $at i32) (local $o i32)
    (local $px v128) (local $lo v128) (local $hi v128) (local $m v128) (local $f v128) (local $seen f64) (local $k f64)
    (block $doneRows
      (loop $row
        (br_if $doneRows (i32.ge_u (local.get $y) (local.get $ny)))
        (local.set $first (i32.load (i32.add (local.get $start) (i32.shl (local.get $y) (i32.const 2)))))
        (local.set $end (i32.load (i32.add (local.get $start) (i32.shl (i32.add (local.get $y) (i32.const 1)) (i32.const 2)))))
        (local.set $x (i32.const 0))
        (block $donePixels
          (loop $pixel
            (br_if $donePixels (i32.ge_u (local.get $x) (local.get $n)))
            (local.set $at (i32.add (local.get $pass) (i32.shl (local.get $x) (i32.const 4))))
            (local.set $lo (f64x2.splat (f64.const 0)))
            (local.set $hi (f64x2.splat (f64.const 0)))
            (local.set $seen (f64.const 0))
            (local.set $t (local.get $first))
            (block $doneTaps
              (loop $tap
                (br_if $doneTaps (i32.ge_u (local.get $t) (local.get $end)))
                (local.set $px (v128.load (i32.add (local.get $at) (i32.load (i32.add (local.get $off) (i32.shl (local.get $t) (i32.const 2)))))))
                (if (f32.ne (f32x4.extract_lane 3 (local.get $px)) (f32.const 0))
                  (then
                    (local.set $m (f64x2.splat (f64.load (i32.add (local.get $w) (i32.shl (local.get $t) (i32.const 3))))))
                    (local.set $lo
                      (f64x2.promote_low_f32x4 (f32x4.demote_f64x2_zero
                        (f64x2.add (local.get $lo) (f64x2.mul (f64x2.promote_low_f32x4 (local.get $px)) (local.get $m))))))
                    (local.set $hi
                      (f64x2.promote_low_f32x4 (f32x4.demote_f64x2_zero
                        (f64x2.add (local.get $hi)
                          (f64x2.mul
                            (f64x2.promote_low_f32x4 (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 (local.get $px) (local.get $px)))
                            (local.get $m))))))
                    (local.set $seen (f64.add (local.get $seen) (f64x2.extract_lane 0 (local.get $m))))))
                (local.set $t (i32.add (local.get $t) (i32.const 1)))
                (br $tap)))
            (local.set $k (select (f64.div (f64.const 1) (local.get $seen)) (f64.const 0) (f64.ne (local.get $seen) (f64.const 0))))
            ;; Math.round: floor, plus one where the fraction is at least a half
            (local.set $lo (f64x2.mul (local.get $lo) (f64x2.splat (local.get $k))))
            (local.set $f (f64x2.floor (local.get $lo)))
            (local.set $lo
              (f64x2.add (local.get $f)
                (v128.and (f64x2.ge (f64x2.sub (local.get $lo) (local.get $f)) (f64x2.splat (f64.const 0.5))) (f64x2.splat (f64.const 1)))))
            (local.set $hi (f64x2.mul (local.get $hi) (f64x2.replace_lane 1 (f64x2.splat (local.get $k)) (local.get $alphaScale))))
            (local.set $f (f64x2.floor (local.get $hi)))
            (local.set $hi
              (f64x2.add (local.get $f)
                (v128.and (f64x2.ge (f64x2.sub (local.get $hi) (local.get $f)) (f64x2.splat (f64.const 0.5))) (f64x2.splat (f64.const 1)))))
            ;; the four integers' low bytes, side by side
            (local.set $o (i32.add (local.get $out) (i32.shl (i32.add (i32.mul (local.get $y) (local.get $n)) (local.get $x)) (i32.const 2))))
            (i32.store (local.get $o)
              (i32x4.extract_lane 0
                (i8x16.shuffle 0 4 16 20 0 0 0 0 0 0 0 0 0 0 0 0
                  (i32x4.trunc_sat_f64x2_s_zero (local.get $lo))
                  (i32x4.trunc_sat_f64x2_s_zero (local.get $hi)))))
            (local.set $x (i32.add (local.get $x) (i32.const 1)))
            (br $pixel)))
        (local.set $y (i32.add (local.get $y) (i32.const 1)))
        (br $row)))))
