// The ONNX protobuf schema (onnx.proto from the ONNX project, Apache-2.0) as a protobufjs descriptor,
// and typed views of the messages this project reads. int64 fields decode to JS numbers.
import * as protobuf from 'protobufjs/light';
import descriptor from './onnx-schema.json';

// Without a Long implementation protobufjs decodes int64 as numbers: exact up to 2^53, which covers dims,
// attributes and shape tensors.
protobuf.util.Long = undefined as unknown as typeof protobuf.util.Long;
protobuf.configure();

const root = protobuf.Root.fromJSON(descriptor as protobuf.INamespace);
const ModelProto = root.lookupType('onnx.ModelProto');
const TensorProto = root.lookupType('onnx.TensorProto');
const GraphProto = root.lookupType('onnx.GraphProto');

type Int64 = number | { toNumber(): number };

// eslint-disable-next-line @typescript-eslint/no-namespace
export declare namespace onnx {
  interface IStringStringEntryProto {
    key?: string | null;
    value?: string | null;
  }
  interface ITensorProto {
    dims?: Int64[] | null;
    data_type?: number | null;
    float_data?: number[] | null;
    int32_data?: number[] | null;
    string_data?: Uint8Array[] | null;
    int64_data?: Int64[] | null;
    name?: string | null;
    raw_data?: Uint8Array | null;
    double_data?: number[] | null;
    uint64_data?: Int64[] | null;
    external_data?: IStringStringEntryProto[] | null;
    data_location?: number | null;
  }
  interface IAttributeProto {
    name?: string | null;
    type?: number | null;
    f?: number | null;
    i?: Int64 | null;
    s?: Uint8Array | null;
    t?: ITensorProto | null;
    g?: IGraphProto | null;
    floats?: number[] | null;
    ints?: Int64[] | null;
    strings?: Uint8Array[] | null;
  }
  interface INodeProto {
    input?: string[] | null;
    output?: string[] | null;
    name?: string | null;
    op_type?: string | null;
    domain?: string | null;
    attribute?: IAttributeProto[] | null;
  }
  interface IDimension {
    dim_value?: Int64 | null;
    dim_param?: string | null;
  }
  interface ITypeProto {
    tensor_type?: { elem_type?: number | null; shape?: { dim?: IDimension[] | null } | null } | null;
  }
  interface IValueInfoProto {
    name?: string | null;
    type?: ITypeProto | null;
  }
  interface IGraphProto {
    node?: INodeProto[] | null;
    name?: string | null;
    initializer?: ITensorProto[] | null;
    input?: IValueInfoProto[] | null;
    output?: IValueInfoProto[] | null;
    value_info?: IValueInfoProto[] | null;
  }
  interface IOperatorSetIdProto {
    domain?: string | null;
    version?: Int64 | null;
  }
  interface IModelProto {
    ir_version?: Int64 | null;
    opset_import?: IOperatorSetIdProto[] | null;
    producer_name?: string | null;
    producer_version?: string | null;
    domain?: string | null;
    model_version?: Int64 | null;
    doc_string?: string | null;
    graph?: IGraphProto | null;
    metadata_props?: IStringStringEntryProto[] | null;
  }
}

export function decodeModelProto(bytes: Uint8Array): onnx.IModelProto {
  return ModelProto.decode(bytes) as unknown as onnx.IModelProto;
}

export function decodeGraphProto(bytes: Uint8Array): onnx.IGraphProto {
  return GraphProto.decode(bytes) as unknown as onnx.IGraphProto;
}

export function encodeModelProto(model: onnx.IModelProto): Uint8Array {
  return ModelProto.encode(model as protobuf.Message).finish();
}

export function decodeTensorProto(bytes: Uint8Array): onnx.ITensorProto {
  return TensorProto.decode(bytes) as unknown as onnx.ITensorProto;
}

/**
 * Bytes that, appended to a serialized ModelProto, add graph outputs and nodes: protobuf merges a repeated
 * occurrence of the `graph` field into the first, and concatenates repeated `output` and `node` fields (the nodes
 * come after the model's own, so they must only read its tensors or each other's earlier ones).
 * This spares re-encoding (and copying) the weights to expose intermediate tensors.
 */
export function encodeExtraOutputs(names: readonly string[], nodes: readonly onnx.INodeProto[] = []): Uint8Array {
  const msg = ModelProto.fromObject({ graph: { output: names.map((name) => ({ name })), node: nodes } });
  return ModelProto.encode(msg).finish();
}
