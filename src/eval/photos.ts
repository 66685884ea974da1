// The ImageNet photos beyond deletion/insertion: how much two classes' maps of one photo overlap (class
// overlap: the top-1 against the top-2..5, and pairs chosen by looking), and how much of each object's
// class falls on that object (boxes marked by eye, eval/photos/boxes.json). Every map is one explanation
// of the kept forward pass, so a photo costs one forward per model (plus occlusion's batch).
import * as fs from 'node:fs';
import * as path from 'node:path';
import { gridToHeat } from '../baselines/common';
import type { Box } from '../heatmap/box';
import { heatPeak, type HeatMap } from '../heatmap/density';
import { available, photoExplainers } from './run';
import { convModes, evalMethods, fixations, type BoxKind, type EvalMethod, type MapResult } from './methods';
import { boxAround, histogramIntersection, inRegion, jaccard, located, mapShareIn, massIn, weightedJaccard, type Region } from './metrics';

export interface PhotoObject {
  readonly name: string;
  /** ImageNet classes the object stands for (empty: ImageNet-1k has none). */
  readonly classes: readonly number[];
  readonly boxes: readonly Box[];
}

export interface PhotoAnnotation {
  /** Front to back: a pixel inside several objects' boxes belongs to the first. */
  readonly objects: readonly PhotoObject[];
  /** Class pairs compared besides the top-1 against the top-2..5. */
  readonly pairs: readonly (readonly [number, number])[];
}

export function loadPhotoAnnotations(root: string): Record<string, PhotoAnnotation> {
  const doc = JSON.parse(fs.readFileSync(path.join(root, 'eval', 'photos', 'boxes.json'), 'utf8')) as { photos: Record<string, PhotoAnnotation> };
  return doc.photos;
}

/** Object j's visible part: its boxes minus the boxes of the objects listed before it (in front). */
export function objectRegion(objects: readonly PhotoObject[], j: number): Region {
  return { boxes: objects[j].boxes, minus: objects.slice(0, j).flatMap((o) => o.boxes) };
}

/** Methods whose two-class maps are compared: CNN Fixations in every mode (versus: A against B, B against A) and conv mode, CAM, occlusion. */
const overlapMethods: readonly EvalMethod[] = [
  ...evalMethods.filter((m) => m.id !== 'centre' && m.id !== 'random'),
  ...convModes.map((c) => fixations('versus', c)),
];

export interface OverlapEntry {
  readonly photo: string;
  readonly a: number;
  readonly b: number;
  /** top: the top-1 against a class of the top-2..5; named: a pair from boxes.json. */
  readonly kind: 'top' | 'named';
  readonly method: string;
  /** Histogram intersection of the two maps, each scaled to sum 1. */
  readonly intersection: number;
  /** CNN Fixations: Jaccard of the two input fixation sets, and of their masses (Σ min / Σ max). */
  readonly jaccard?: number;
  readonly weightedJaccard?: number;
}

export interface BoxShareEntry {
  readonly photo: string;
  readonly object: string;
  readonly k: number;
  /** versus methods: the class explained against (the other object's). */
  readonly versus?: number;
  readonly method: string;
  /** Share of the map on each object's visible part (front to back), and on the object's whole boxes. */
  readonly share: Record<string, number>;
  readonly shareBoxes: number;
  /** CNN Fixations: share of the fixation mass (all points) on each object's visible part. */
  readonly mass?: Record<string, number>;
  readonly massBoxes?: number;
  /** The map's maximum lies on the object's visible part. */
  readonly peakInside: boolean;
  /** The object's visible part's share of the model's view: what a uniform map would put there. */
  readonly chance: number;
  /** Per box kind of the method: its box has IoU ≥ 0.5 with one of the object's boxes or with their union (GT-known localization). */
  readonly located: Partial<Record<BoxKind, boolean>>;
}

export interface PhotoStudy {
  readonly model: string;
  readonly skipped: Record<string, string>;
  readonly labels: Record<number, string>;
  readonly overlap: OverlapEntry[];
  readonly boxes: BoxShareEntry[];
}

function fixationKeys(r: MapResult): Map<string, number> {
  const j = r.explanation!.json;
  return new Map(j.inputFixations.map((f, i) => [f.join(','), j.inputFixationWeights[i]]));
}

function peakIn(heat: HeatMap, region: Region): boolean {
  const p = heatPeak(heat);
  return p !== null && inRegion(region, p[0], p[1]);
}

export interface PhotoStudyOptions {
  readonly log: (line: string) => void;
  /** Leave occlusion out (its batch of forwards per photo is the costly part). */
  readonly skipOcclusion?: boolean;
}

export async function runPhotoStudy(
  modelPath: string,
  photos: readonly string[],
  annotations: Record<string, PhotoAnnotation>,
  o: PhotoStudyOptions,
  explainers = photoExplainers(modelPath),
): Promise<PhotoStudy> {
  const skipped: Record<string, string> = {};
  const labels: Record<number, string> = {};
  const overlap: OverlapEntry[] = [];
  const boxes: BoxShareEntry[] = [];
  let methods: EvalMethod[] | undefined;
  for (const [i, photo] of photos.entries()) {
    const name = path.basename(photo);
    const note = annotations[name] ?? { objects: [], pairs: [] };
    const e = await explainers(photo);
    methods ??= available(overlapMethods, e, skipped).filter((m) => !(o.skipOcclusion && m.id === 'occlusion'));
    const top = e.predictions(5).map((p) => p.index);
    const pairs: { a: number; b: number; kind: 'top' | 'named' }[] = [
      ...top.slice(1).map((b) => ({ a: top[0], b, kind: 'top' as const })),
      ...note.pairs.map(([a, b]) => ({ a, b, kind: 'named' as const })),
    ];
    for (const k of [...top, ...note.pairs.flat(), ...note.objects.flatMap((x) => x.classes)]) labels[k] = e.label(k);
    // One map per (method, class, rival): pairs and boxes share them.
    const maps = new Map<string, Promise<MapResult>>();
    const mapOf = (m: EvalMethod, k: number, rival?: number) => {
      const key = `${m.id}:${k}:${m.id.includes('versus') ? rival : ''}`;
      if (!maps.has(key)) maps.set(key, m.run({ explainer: e, seed: i, rival }, k));
      return maps.get(key)!;
    };
    for (const { a, b, kind } of pairs) {
      for (const m of methods) {
        const [ra, rb] = await Promise.all([mapOf(m, a, b), mapOf(m, b, a)]);
        const entry: OverlapEntry = { photo: name, a, b, kind, method: m.id, intersection: histogramIntersection(ra.heat, rb.heat) };
        if (ra.explanation && rb.explanation) {
          const fa = fixationKeys(ra), fb = fixationKeys(rb);
          Object.assign(entry, { jaccard: jaccard(new Set(fa.keys()), new Set(fb.keys())), weightedJaccard: weightedJaccard(fa, fb) });
        }
        overlap.push(entry);
      }
    }
    const regions = note.objects.map((_, j) => objectRegion(note.objects, j));
    const view = gridToHeat({ cols: 1, rows: 1, values: Float32Array.of(1) }, e.map);
    const chance = mapShareIn(view, regions);
    const objectOf = (k: number) => note.objects.findIndex((x) => x.classes.includes(k));
    for (const [j, obj] of note.objects.entries()) {
      for (const k of obj.classes) {
        // versus: against each named pair's other class when it stands for another object of this photo.
        const rivals = note.pairs.flatMap(([a, b]) => (a === k ? [b] : b === k ? [a] : [])).filter((r) => objectOf(r) >= 0 && objectOf(r) !== j);
        const runs = methods.flatMap((m): { m: EvalMethod; r?: number }[] => (m.id.includes('versus') ? rivals.map((r) => ({ m, r })) : [{ m, r: undefined }]));
        for (const { m, r } of runs) {
          const x = await mapOf(m, k, r);
          const share = mapShareIn(x.heat, [...regions, { boxes: obj.boxes }]);
          const entry: BoxShareEntry = {
            photo: name,
            object: obj.name,
            k,
            ...(r !== undefined ? { versus: r } : {}),
            method: m.id,
            share: Object.fromEntries(note.objects.map((ob, q) => [ob.name, share[q]])),
            shareBoxes: share[note.objects.length],
            peakInside: peakIn(x.heat, regions[j]),
            chance: chance[j],
            located: Object.fromEntries(m.boxes.map((b) => [b, [...obj.boxes, boxAround(obj.boxes)!].some((t) => located(x.boxes[b] ?? null, t))])),
          };
          if (x.explanation) {
            const mass = massIn(x.explanation.json.points, x.explanation.json.pointWeights, [...regions, { boxes: obj.boxes }]);
            Object.assign(entry, { mass: Object.fromEntries(note.objects.map((ob, q) => [ob.name, mass[q]])), massBoxes: mass[note.objects.length] });
          }
          boxes.push(entry);
        }
      }
    }
    o.log(`  ${path.basename(modelPath)}: ${name}: ${pairs.length} class pairs, ${note.objects.length} objects`);
  }
  return { model: modelPath, skipped, labels, overlap, boxes };
}
