"""Drives tackd's tus endpoints with tuspy, the tus project's Python client, for ResumableUploadTests.

Each command prints one JSON object on stdout. A tus error is reported as {"error": status}, not raised, so the
Swift test decides what it expected.
"""
import argparse
import base64
import hashlib
import json
import sys

import requests
from tusclient import client
from tusclient.exceptions import TusCommunicationError, TusUploadFailed


def make_client(args):
    return client.TusClient(f"{args.server}/v1/rooms/{args.room}/uploads",
                            headers={"Authorization": f"Bearer {args.token}"})


def uploader(args, url=None, checksum=False):
    return make_client(args).uploader(
        args.file, url=url, chunk_size=args.chunk, upload_checksum=checksum,
        metadata={"filename": args.name, "message": args.message} if args.message else {"filename": args.name})


def report_failure(error):
    status = getattr(error, "status_code", None)
    print(json.dumps({"error": status, "message": str(error)}))
    return 0


def start(args):
    """Creates an upload and sends `--chunks` chunks of it (all of them when 0)."""
    up = uploader(args, checksum=args.checksum)
    try:
        if args.chunks:
            for _ in range(args.chunks):
                up.upload_chunk()
        else:
            up.upload()
    except (TusCommunicationError, TusUploadFailed) as error:
        return report_failure(error)
    print(json.dumps({"url": up.url, "offset": up.offset}))


def resume(args):
    """A new client, knowing only the upload's URL: asks the offset (HEAD) and sends the rest."""
    try:
        up = uploader(args, url=args.url, checksum=args.checksum)
        first = up.offset
        up.upload()
    except (TusCommunicationError, TusUploadFailed) as error:
        return report_failure(error)
    print(json.dumps({"url": up.url, "resumedFrom": first, "offset": up.offset}))


def bad_checksum(args):
    """Sends the first chunk with a wrong sha1: the server must answer 460 and drop it."""
    up = uploader(args, checksum=True)
    # tuspy keeps its algorithm name-mangled; this one hashes something else than the chunk.
    up._BaseUploader__checksum_algorithm = lambda data: hashlib.sha1(data + b"x")
    try:
        up.upload_chunk()
    except (TusCommunicationError, TusUploadFailed) as error:
        print(json.dumps({"error": getattr(error, "status_code", None), "url": up.url}))
        return
    print(json.dumps({"url": up.url, "offset": up.offset}))


def terminate(args):
    """tuspy has no termination call; this is the request the extension defines."""
    answer = requests.delete(f"{args.server}{args.url}" if args.url.startswith("/") else args.url,
                             headers={"Authorization": f"Bearer {args.token}", "Tus-Resumable": "1.0.0"})
    print(json.dumps({"status": answer.status_code}))


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("command", choices=["start", "resume", "bad-checksum", "terminate"])
    parser.add_argument("--server", required=True)
    parser.add_argument("--token", required=True)
    parser.add_argument("--room", default="")
    parser.add_argument("--file", default="")
    parser.add_argument("--name", default="file.bin")
    parser.add_argument("--message", default="")
    parser.add_argument("--chunk", type=int, default=5 << 20)
    parser.add_argument("--chunks", type=int, default=0)
    parser.add_argument("--checksum", action="store_true")
    parser.add_argument("--url", default=None)
    args = parser.parse_args()
    return {"start": start, "resume": resume, "bad-checksum": bad_checksum, "terminate": terminate}[args.command](args)


if __name__ == "__main__":
    sys.exit(main())
