/**
 * An S3-compatible object store double on loopback: PUT, GET and DELETE of path-style objects,
 * with every request's AWS Signature V4 checked by recomputing it (with the `aws4` reference
 * implementation) from the secret. A wrong signature gets S3's 403 SignatureDoesNotMatch.
 */
import http from "node:http";
import type { AddressInfo } from "node:net";
import aws4 from "aws4";

export interface S3Double {
  url: string;
  objects: Map<string, Buffer>;
  requests: Array<{ method: string; path: string; signed: boolean }>;
  close(): Promise<void>;
}

export async function startS3Double(creds: { accessKeyId: string; secretAccessKey: string }, region: string) {
  const objects = new Map<string, Buffer>();
  const requests: S3Double["requests"] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const path = req.url ?? "/";
      const h = req.headers;
      const expected = aws4.sign(
        {
          host: h.host,
          path,
          method: req.method,
          service: "s3",
          region,
          headers: {
            "x-amz-content-sha256": String(h["x-amz-content-sha256"]),
            "X-Amz-Date": String(h["x-amz-date"]),
            ...(h["content-length"] && req.method === "PUT" ? { "content-length": h["content-length"] } : {}),
          },
        },
        creds,
      );
      const signed = expected.headers?.Authorization === h.authorization;
      requests.push({ method: req.method ?? "", path, signed });
      if (!signed) {
        res
          .writeHead(403, { "content-type": "application/xml" })
          .end("<Error><Code>SignatureDoesNotMatch</Code></Error>");
        return;
      }
      if (req.method === "PUT") {
        objects.set(path, Buffer.concat(chunks));
        res.writeHead(200).end();
      } else if (req.method === "GET") {
        const o = objects.get(path);
        if (o) res.writeHead(200, { "content-length": o.length }).end(o);
        else
          res
            .writeHead(404, { "content-type": "application/xml" })
            .end("<Error><Code>NoSuchKey</Code></Error>");
      } else if (req.method === "DELETE") {
        objects.delete(path);
        res.writeHead(204).end();
      } else res.writeHead(405).end();
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    objects,
    requests,
    close: () => new Promise<void>((r) => server.close(() => r())),
  } satisfies S3Double;
}
