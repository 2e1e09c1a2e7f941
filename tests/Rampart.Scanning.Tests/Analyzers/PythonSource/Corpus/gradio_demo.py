import gradio as gr
from transformers import pipeline

summarizer = pipeline("summarization", model="sshleifer/distilbart-cnn-12-6")


def summarize(text):
    return summarizer(text)[0]["summary_text"]


with gr.Blocks() as demo:
    box = gr.Textbox()
    out = gr.Textbox()
    box.submit(summarize, box, out)

demo.launch(share=True)
