import os

import pandas as pd
from openai import OpenAI

client = OpenAI(api_key=os.environ["OPENAI_API_KEY"])
tickets = pd.read_csv("exports/support_tickets.csv")


def summarize_week():
    rows = tickets.head(200)
    prompt = f"Summarize these tickets: {rows.to_csv()}"
    return client.chat.completions.create(model="gpt-4o-mini", messages=[{"role": "user", "content": prompt}])


def classify(text):
    return client.chat.completions.create(model="gpt-4o-mini", messages=[{"role": "user", "content": text}])
