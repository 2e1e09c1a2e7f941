from huggingface_hub import snapshot_download
from transformers import AutoModelForCausalLM, AutoTokenizer
from transformers import pipeline as make_pipeline

MODEL_ID = "tiiuae/falcon-7b"
PINNED = "0123456789abcdef0123456789abcdef01234567"

tokenizer = AutoTokenizer.from_pretrained(MODEL_ID, revision=PINNED)
model = AutoModelForCausalLM.from_pretrained(MODEL_ID, trust_remote_code=True)
local = AutoModelForCausalLM.from_pretrained("./exports/falcon-ft")
weights_dir = snapshot_download(repo_id="org/private-weights")
generator = make_pipeline("text-generation", model=MODEL_ID, revision=PINNED)
