#!/usr/bin/env python3
"""Generate the small bundled bilingual (English / Chinese) assistant data set.

Pure standard library, fully deterministic (``random.Random(13)``).

Writes, next to this script::

    en/train.jsonl  en/dev.jsonl  en/test.jsonl
    zh/train.jsonl  zh/dev.jsonl  zh/test.jsonl

One JSON object per line (UTF-8, ``ensure_ascii=False``)::

    {"text": "wake me up at 7 am tomorrow", "intent": "SetAlarm",
     "slots": [{"start": 14, "end": 18, "label": "time"},
               {"start": 19, "end": 27, "label": "date"}]}

``start``/``end`` are Python character offsets into ``text`` (end exclusive).

Templates use placeholders:

* ``{label}``          -- a random filler from ``FILLERS[lang][label]``
* ``{label:variant}``  -- a random filler from ``FILLERS[lang]["label:variant"]``,
                          annotated with ``label``
* ``{label=value}``    -- the fixed text ``value``, annotated with ``label``

Per-intent filler overrides live in ``OVERRIDES[(lang, intent, key)]``.

Usage::

    python data/make_assistant_data.py            # (re)write the files
    python data/make_assistant_data.py --check    # only validate existing files
"""

from __future__ import annotations

import json
import os
import random
import re
import sys
from collections import Counter

SEED = 13
PER_INTENT = 46  # target utterances per intent and language
DEV_FRAC = 0.15
TEST_FRAC = 0.15
LANGS = ("en", "zh")
SPLITS = ("train", "dev", "test")

INTENTS = (
    "GetTime",
    "GetDate",
    "GetWeather",
    "SetAlarm",
    "SetTimer",
    "PlayMusic",
    "SendMessage",
    "TurnOnDevice",
    "TurnOffDevice",
    "AddToCalendar",
)

SLOT_LABELS = (
    "time",
    "date",
    "location",
    "duration",
    "artist",
    "song",
    "genre",
    "contact",
    "message",
    "device",
    "room",
    "event",
)

# --------------------------------------------------------------------------
# Slot fillers
# --------------------------------------------------------------------------

FILLERS = {
    "en": {
        "time": [
            "7 am", "7am", "6:30", "6:30 am", "5:45", "8 o'clock", "half past six",
            "quarter to seven", "noon", "10 pm", "9:15 pm", "7:15", "6", "midnight",
            "10 in the morning", "5 pm",
        ],
        "date": [
            "tomorrow", "today", "tonight", "this weekend", "next week", "monday",
            "friday", "this afternoon", "saturday", "the day after tomorrow",
            "next tuesday", "this evening",
        ],
        "location": [
            "London", "Paris", "New York", "Tokyo", "Berlin", "Sydney", "Chicago",
            "Seattle", "Toronto", "San Francisco", "Boston", "Madrid", "Beijing",
            "Shanghai", "Mumbai", "Dubai", "Los Angeles", "Austin", "Denver", "Rome",
        ],
        "duration": [
            "5 minutes", "ten minutes", "30 seconds", "an hour", "1 hour",
            "half an hour", "90 seconds", "2 hours", "15 min", "20 mins",
            "45 minutes", "three minutes", "one and a half hours", "12 minutes",
        ],
        "duration:adj": [
            "5 minute", "ten minute", "30 second", "one hour", "20 min",
            "45 minute", "3 minute", "two hour", "15 minute", "90 second",
        ],
        "artist": [
            "Taylor Swift", "Adele", "Ed Sheeran", "the Beatles", "Beyoncé", "Drake",
            "Coldplay", "Billie Eilish", "Queen", "Miles Davis", "Bruno Mars",
            "Dua Lipa", "Jay Chou", "Norah Jones", "Kendrick Lamar", "ABBA",
        ],
        "song": [
            "Bohemian Rhapsody", "Hello", "Shape of You", "Yesterday", "Halo",
            "Yellow", "bad guy", "Shake It Off", "Someone Like You", "Uptown Funk",
            "Levitating", "Hey Jude", "Blinding Lights", "Dancing Queen",
            "Take Five", "Love Story",
        ],
        "genre": [
            "jazz", "classical music", "lo-fi", "rock", "hip hop", "country",
            "chill music", "80s pop", "piano music", "reggae", "workout music",
            "blues",
        ],
        "contact": [
            "mom", "dad", "Sarah", "John", "my boss", "Alex", "grandma", "Emily",
            "Mike", "my wife", "my husband", "Dr. Patel", "Jess", "the team",
        ],
        "message": [
            "I'll be late", "I'm running 10 minutes late", "dinner is ready",
            "call me when you land", "happy birthday", "see you at 6",
            "don't forget the milk", "I'm on my way", "can you pick up the kids",
            "thanks for today", "the meeting moved to 3", "I'm home", "love you",
            "the package arrived", "I left my keys at home", "running late, start without me",
        ],
        "device": [
            "lights", "light", "lamp", "TV", "fan", "air conditioner", "AC",
            "heater", "coffee maker", "humidifier", "speaker", "ceiling fan",
            "bedside lamp", "porch light", "dehumidifier", "radio",
        ],
        "room": [
            "living room", "bedroom", "kitchen", "bathroom", "office", "garage",
            "hallway", "kids' room", "basement", "dining room", "study",
        ],
        "date:rel": [
            "tomorrow", "next friday", "this sunday", "the day after tomorrow",
            "next monday", "a week from today", "this saturday", "next wednesday",
        ],
        "message:stmt": [
            "I'll be late", "I'm running 10 minutes late", "dinner is ready",
            "I'm on my way", "the meeting moved to 3", "I'm home", "I got the tickets",
            "the package arrived", "I left my keys at home", "I'm stuck in traffic",
            "I'll call back later", "the kids are asleep",
        ],
        "date:holiday": [
            "Christmas", "Halloween", "Thanksgiving", "New Year's Day", "Easter",
            "Valentine's Day", "Independence Day", "Christmas Eve",
        ],
        "event": [
            "dentist appointment", "team meeting", "lunch with Sarah", "yoga class",
            "dinner with mom", "standup", "haircut", "job interview", "book club",
            "soccer practice", "doctor's appointment", "call with the client",
            "parent teacher meeting", "gym session",
        ],
    },
    "zh": {
        "time": [
            "七点", "七点半", "早上六点", "六点四十", "早上7点", "6:30", "下午两点",
            "晚上十点", "八点一刻", "五点五十", "中午十二点", "凌晨四点", "8点",
            "下午三点", "晚上九点半",
        ],
        "date": [
            "明天", "今天", "后天", "下周一", "这周六", "周五", "这周末", "下个星期三",
            "今晚", "大后天", "明天下午", "周日",
        ],
        "location": [
            "北京", "上海", "深圳", "成都", "广州", "杭州", "南京", "武汉", "西安",
            "重庆", "天津", "苏州", "厦门", "青岛", "长沙", "昆明", "哈尔滨", "大理",
        ],
        "duration": [
            "五分钟", "10分钟", "半小时", "一个小时", "一个半小时", "二十秒", "三分钟",
            "45分钟", "两小时", "十五分钟", "90秒", "一刻钟", "8分钟", "四十分钟",
        ],
        "artist": [
            "周杰伦", "王菲", "陈奕迅", "邓紫棋", "林俊杰", "五月天", "李荣浩", "蔡依林",
            "朴树", "毛不易", "Taylor Swift", "Adele", "Ed Sheeran", "BLACKPINK",
            "孙燕姿", "薛之谦",
        ],
        "song": [
            "晴天", "稻香", "红豆", "十年", "后来", "夜曲", "小幸运", "光年之外",
            "平凡之路", "七里香", "倔强", "演员", "Shape of You", "Hello", "成都",
            "消愁",
        ],
        "genre": [
            "轻音乐", "古典音乐", "摇滚", "爵士乐", "民谣", "流行歌", "儿歌", "粤语歌",
            "纯音乐", "说唱", "lo-fi", "钢琴曲",
        ],
        "contact": [
            "妈妈", "爸爸", "小王", "老婆", "老公", "张经理", "李老师", "姐姐", "小明",
            "王总", "奶奶", "Tom", "室友", "刘阿姨",
        ],
        "message": [
            "我晚点到", "今晚不回家吃饭了", "会议改到下午三点", "记得带钥匙", "我到楼下了",
            "生日快乐", "明天见", "路上堵车了", "我在开会晚点call你", "帮我取个快递",
            "到家了", "收到谢谢", "别等我吃饭", "我已经出发了",
        ],
        "device": [
            "灯", "台灯", "空调", "电视", "风扇", "加湿器", "热水器", "电饭煲",
            "扫地机器人", "窗帘", "吊灯", "音箱", "空气净化器", "电暖器",
        ],
        "room": [
            "客厅", "卧室", "厨房", "书房", "卫生间", "儿童房", "阳台", "主卧", "次卧",
            "餐厅",
        ],
        "date:holiday": [
            "国庆节", "春节", "中秋节", "元旦", "圣诞节", "端午节", "元宵节", "情人节",
            "劳动节",
        ],
        "event": [
            "开会", "牙医预约", "项目评审", "和小李吃饭", "健身", "家长会", "面试",
            "周会", "看电影", "体检", "交房租", "读书会", "standup会议",
        ],
    },
}

OVERRIDES = {
    # --- English -----------------------------------------------------------
    ("en", "GetDate", "date"): [
        "tomorrow", "next friday", "this sunday", "the day after tomorrow",
        "Christmas", "New Year's Eve", "Thanksgiving", "next monday", "yesterday",
        "Halloween", "Easter", "a week from today", "Valentine's Day",
    ],
    ("en", "GetWeather", "date"): [
        "tomorrow", "today", "tonight", "this weekend", "next week",
        "this afternoon", "this evening", "saturday", "monday", "tomorrow morning",
        "later today",
    ],
    ("en", "SetAlarm", "date"): [
        "tomorrow", "today", "monday", "next tuesday", "this saturday",
        "the day after tomorrow", "sunday", "weekdays", "tomorrow morning",
    ],
    ("en", "SetAlarm", "time"): [
        "7 am", "7am", "6:30", "6:30 am", "5:45", "8 o'clock", "half past six",
        "quarter to seven", "9", "noon", "10 pm", "7:15 a.m.", "4:50", "6am",
    ],
    ("en", "AddToCalendar", "time"): [
        "3 pm", "10:30", "noon", "4:15 pm", "9 am", "2pm", "half past one",
        "6 in the evening", "11:00", "8:30 am", "1 o'clock",
    ],
    ("en", "AddToCalendar", "date"): [
        "tomorrow", "next monday", "friday", "thursday", "next week",
        "the 15th", "June 3rd", "March 12", "this saturday", "the day after tomorrow",
    ],
    # --- Chinese -----------------------------------------------------------
    ("zh", "GetTime", "location"): [
        "纽约", "伦敦", "东京", "巴黎", "悉尼", "洛杉矶", "新加坡", "北京", "乌鲁木齐",
        "首尔", "迪拜", "温哥华", "莫斯科", "柏林",
    ],
    ("zh", "GetDate", "date"): [
        "明天", "后天", "大后天", "昨天", "下周一", "这周六", "下个星期五", "国庆节",
        "春节", "中秋节", "元旦", "圣诞节", "下个月一号", "端午节",
    ],
    ("zh", "SetAlarm", "date"): [
        "明天", "后天", "周一", "下周三", "这周六", "每天", "工作日", "周日",
    ],
    ("zh", "AddToCalendar", "date"): [
        "明天", "后天", "下周一", "周四", "这周五", "下个月三号", "5月20号",
        "下周三", "月底", "星期六",
    ],
}

# (artist, song) pairs used when a template mentions both
ARTIST_SONG = {
    "en": [
        ("Queen", "Bohemian Rhapsody"), ("Adele", "Hello"), ("Ed Sheeran", "Shape of You"),
        ("the Beatles", "Yesterday"), ("Beyoncé", "Halo"), ("Coldplay", "Yellow"),
        ("Billie Eilish", "bad guy"), ("Taylor Swift", "Shake It Off"),
        ("Adele", "Someone Like You"), ("Bruno Mars", "Uptown Funk"),
        ("Dua Lipa", "Levitating"), ("the Beatles", "Hey Jude"),
        ("The Weeknd", "Blinding Lights"), ("ABBA", "Dancing Queen"),
        ("Dave Brubeck", "Take Five"), ("Taylor Swift", "Love Story"),
        ("Jay Chou", "Mojito"), ("Norah Jones", "Don't Know Why"),
    ],
    "zh": [
        ("周杰伦", "晴天"), ("周杰伦", "稻香"), ("王菲", "红豆"), ("陈奕迅", "十年"),
        ("刘若英", "后来"), ("周杰伦", "夜曲"), ("田馥甄", "小幸运"), ("邓紫棋", "光年之外"),
        ("朴树", "平凡之路"), ("周杰伦", "七里香"), ("五月天", "倔强"), ("薛之谦", "演员"),
        ("Ed Sheeran", "Shape of You"), ("Adele", "Hello"), ("赵雷", "成都"),
        ("毛不易", "消愁"), ("林俊杰", "江南"), ("孙燕姿", "遇见"), ("Taylor Swift", "Love Story"),
    ],
}

# --------------------------------------------------------------------------
# Templates (hand written; at least 12 per intent and language)
# --------------------------------------------------------------------------

TEMPLATES = {
    "en": {
        "GetTime": [
            "what time is it?",
            "what's the time",
            "time please",
            "do you know what time it is?",
            "tell me the time",
            "hey, what time is it now",
            "whats the time rn",
            "current time?",
            "wat time is it",
            "⏰ what time is it",
            "Excuse me, could you tell me the time?",
            "what time is it in {location}?",
            "what's the time in {location} right now",
            "tell me the current time in {location}",
            "time in {location}",
            "what time is it over in {location}",
            "could you tell me the local time in {location}, please?",
            "is it late in {location} right now?",
            "what time is it in {location} 🤔",
            "hey what's the local time in {location}",
            "current time {location}",
        ],
        "GetDate": [
            "what's the date?",
            "what day is it {date=today}",
            "what's {date=today}'s date",
            "what is the date {date:rel}",
            "what day of the week is {date}?",
            "what day is {date}",
            "which day of the month is it",
            "tell me the date",
            "what date is {date}",
            "date please",
            "wats the date {date=today}",
            "what month is it?",
            "remind me what day it is",
            "is it {date=monday} today?",
            "what's the date going to be {date:rel}",
            "hey what date is it 📅",
            "what day does {date:holiday} fall on this year",
            "Can you tell me what the date will be {date:rel}?",
        ],
        "GetWeather": [
            "what's the weather like in {location}?",
            "weather {date}",
            "how's the weather in {location} {date}",
            "is it going to rain {date}?",
            "will it rain in {location} {date}",
            "do i need an umbrella {date}",
            "what's the forecast for {location}",
            "how hot is it in {location}",
            "is it cold outside",
            "weather in {location} please",
            "will it snow in {location} {date}",
            "what's the temperature in {location} right now",
            "forecast for {date}",
            "hows the weather looking {date}",
            "whats the wether in {location}",
            "☀️ or 🌧️ in {location} {date}?",
            "should i bring a jacket to {location} {date}",
            "what's the weather",
            "give me the weather forecast for {location} for {date}",
            "Is it sunny in {location}?",
        ],
        "SetAlarm": [
            "wake me up at {time} {date}",
            "set an alarm for {time}",
            "set alarm {time}",
            "alarm at {time} please",
            "can you set an alarm for {time} {date}?",
            "i need to get up at {time} {date}",
            "alarm for {time}",
            "please wake me at {time}",
            "create an alarm at {time} for {date}",
            "I want to wake up at {time} {date}",
            "get me up at {time} {date} pls",
            "set an alrm for {time}",
            "⏰ {time} {date}",
            "new alarm {time}",
            "could you set an alarm for {time}? thanks",
            "{date} wake me up at {time}",
            "set my alarm to {time}",
            "Set an alarm",
        ],
        "SetTimer": [
            "set a timer for {duration}",
            "timer {duration}",
            "start a {duration:adj} timer",
            "countdown {duration}",
            "can you set a timer for {duration} please?",
            "{duration:adj} timer",
            "set timer for {duration} for the pasta",
            "ping me in {duration}",
            "start a countdown for {duration}",
            "i need a {duration:adj} timer",
            "put a timer on for {duration}",
            "set a timr for {duration}",
            "🍝 timer {duration}",
            "set a timer",
            "start the timer",
            "tell me when it's been {duration}",
            "Timer for {duration}, please.",
            "time {duration} for me",
        ],
        "PlayMusic": [
            "play {song} by {artist}",
            "play some {artist}",
            "put on {song}",
            "play {genre}",
            "i want to listen to {artist}",
            "can you play {song}?",
            "play music",
            "play the song {song}",
            "play something by {artist}",
            "put on some {genre} please",
            "listen to {song}",
            "🎵 play {artist}",
            "pley {song} by {artist}",
            "play me some music",
            "could you play {song} by {artist} in the {room}",
            "i'm in the mood for {genre}",
            "play some {genre} in the {room}",
            "Play the latest {artist} album",
            "put on a {genre} playlist",
            "can i get some {genre}",
        ],
        "SendMessage": [
            "text {contact} {message}",
            "send a message to {contact} saying {message}",
            "tell {contact} that {message:stmt}",
            "message {contact}: {message}",
            "can you text {contact} and say {message}?",
            "send {contact} a text",
            "send a message to {contact}",
            "let {contact} know {message:stmt}",
            "shoot {contact} a message saying {message}",
            "text {contact} \"{message}\"",
            "whatsapp {contact} {message}",
            "send a text",
            "send a msg to {contact}: {message}",
            "pls text {contact} {message} 🙏",
            "Could you send {contact} a message that says {message}?",
            "txt {contact} {message}",
        ],
        "TurnOnDevice": [
            "turn on the {device} in the {room}",
            "switch on the {room} {device}",
            "{device=lights} on in the {room}",
            "can you turn the {device} on?",
            "please power on the {device}",
            "{room} {device} on",
            "hey turn on my {device}",
            "could you switch the {device} on in the {room} please",
            "start the {device}",
            "i'm home, turn on the {device}",
            "it's too dark in the {room}, turn on the {device=lights}",
            "turn teh {device} on",
            "put the {device} on 🙏",
            "turn on the {device}",
            "Switch the {room} {device} on, please.",
            "💡 on in the {room}",
        ],
        "TurnOffDevice": [
            "turn off the {device}",
            "switch off the {room} {device}",
            "{device=lights} off",
            "kill the {device=lights} in the {room}",
            "shut off the {device}",
            "can you turn the {device} off in the {room}?",
            "power down the {device}",
            "turn off all the {device=lights}",
            "{room} {device} off please",
            "please switch the {device} off",
            "i'm leaving, turn off the {device}",
            "turn of the {device}",
            "shut down the {device} in the {room}",
            "good night, turn off the {device=lights} in the {room}",
            "💡 off in the {room}",
            "Could you turn off the {device} in the {room}?",
        ],
        "AddToCalendar": [
            "add {event} to my calendar for {date} at {time}",
            "schedule {event} {date} at {time}",
            "put {event} on my calendar {date}",
            "create an event called {event} {date}",
            "add {event} {date} at {time}",
            "new calendar event: {event}, {date} {time}",
            "i have {event} {date} at {time}, add it to my calendar",
            "book {event} in my calendar for {date}",
            "add {event} in {location} {date} at {time}",
            "schedule {event} for {time}",
            "can you add {event} to my calendar?",
            "put {event} in my calendr {date}",
            "📅 {event} {date} {time}",
            "Please add {event} on my calendar at {time} {date}.",
            "add an event to my calendar",
            "block {time} {date} for {event}",
        ],
    },
    "zh": {
        "GetTime": [
            "现在几点了",
            "现在几点？",
            "几点了",
            "请问现在几点了？",
            "告诉我现在的时间",
            "现在是什么时间",
            "报一下时间",
            "几点啦",
            "看下时间",
            "现在几点了呀😅",
            "{location}现在几点",
            "{location}现在是几点？",
            "{location}那边几点了",
            "查一下{location}的时间",
            "{location}时间是多少",
            "请告诉我{location}现在的时间。",
            "现在{location}是几点钟？",
            "{location}几点了？",
            "帮我看看{location}当地时间",
            "现在几点钟了？",
        ],
        "GetDate": [
            "{date=今天}几号",
            "{date=今天}是几月几号？",
            "{date}是几号",
            "{date}几号",
            "{date}星期几？",
            "{date}是星期几",
            "{date=今天}礼拜几",
            "请问{date}是几月几号",
            "查一下{date}的日期",
            "{date}是哪天",
            "现在是几月份",
            "{date=今天}农历几号？",
            "告诉我{date}的日期",
            "日期是多少",
            "{date}是周几呀",
            "几号了",
            "今年{date:holiday}是星期几？",
        ],
        "GetWeather": [
            "{date}{location}天气怎么样",
            "{location}{date}会下雨吗？",
            "{location}的天气",
            "{date}天气如何",
            "查一下{location}天气",
            "{date}需要带伞吗",
            "{location}现在多少度？",
            "{location}{date}冷不冷",
            "{date}{location}有雨吗",
            "{date}会不会下雪",
            "帮我看看{location}{date}的天气预报",
            "外面热吗",
            "{date}要穿外套吗？",
            "天气怎么样",
            "{location}{date}气温多少",
            "{date}会降温吗？",
            "{location}天气☀️？",
            "请问{date}{location}的天气怎么样？",
        ],
        "SetAlarm": [
            "{date}{time}叫我起床",
            "设一个{time}的闹钟",
            "定个{time}的闹钟",
            "帮我定{date}{time}的闹钟",
            "{time}叫醒我",
            "闹钟设到{time}",
            "设置闹钟{time}",
            "{date}{time}提醒我起床",
            "请帮我设一个{date}{time}的闹铃。",
            "把闹钟调到{time}",
            "我{date}要{time}起床，帮我定个闹钟",
            "订个闹钟 {time}",
            "⏰{time}",
            "{time}叫我一下，谢谢",
            "设个闹钟",
            "新建闹钟，{date}{time}",
        ],
        "SetTimer": [
            "设个{duration}的倒计时",
            "定时{duration}",
            "{duration}后提醒我",
            "计时{duration}",
            "帮我倒计时{duration}",
            "开一个{duration}的计时器",
            "设置一个{duration}的定时器。",
            "{duration}倒计时",
            "给我计时{duration}",
            "煮面{duration}，帮我计个时",
            "倒计时{duration}开始",
            "请设定{duration}计时器",
            "{duration}后叫我",
            "开始计时",
            "计时器{duration}⏲️",
            "帮我设个定时器",
            "泡茶{duration}，到了提醒我",
        ],
        "PlayMusic": [
            "播放{artist}的{song}",
            "放一首{song}",
            "来点{genre}",
            "我想听{artist}的歌",
            "播放{artist}的歌",
            "放{song}",
            "来首{artist}的{song}",
            "放点音乐",
            "播放音乐",
            "给我放首{song}吧",
            "我要听{song}",
            "在{room}播放{genre}",
            "随便放点{artist}的歌",
            "播一下{song}",
            "来一首{song}🎵",
            "放首歌听听",
            "请播放{genre}。",
            "放{artist}的歌给我听",
            "想听点{genre}",
            "来点{genre}放松一下",
            "播放一些{genre}吧",
        ],
        "SendMessage": [
            "给{contact}发消息说{message}",
            "发微信给{contact}：{message}",
            "告诉{contact}{message}",
            "跟{contact}说一声{message}",
            "帮我给{contact}发条短信",
            "发短信给{contact}，{message}",
            "给{contact}发个信息",
            "通知{contact}{message}",
            "发消息",
            "给{contact}留言{message}",
            "微信{contact}说{message}",
            "帮我发个短信给{contact}说{message}",
            "给{contact}发一条：{message}",
            "跟{contact}讲{message}",
            "发条消息给{contact}",
            "请给{contact}发短信，内容是{message}。",
        ],
        "TurnOnDevice": [
            "打开{room}的{device}",
            "把{room}{device}打开",
            "开一下{device}",
            "{room}的{device}开一下",
            "帮我把{device}打开",
            "开{device=灯}",
            "请打开{device}",
            "{room}太暗了，开下{device=灯}",
            "启动{device}",
            "把{device}开开",
            "打开{device}",
            "开{room}{device}",
            "我回来了，开{device}",
            "{device}打开吧",
            "能帮我开一下{room}的{device}吗？",
            "把{room}的{device=灯}打开💡",
        ],
        "TurnOffDevice": [
            "关掉{room}的{device}",
            "把{device}关了",
            "关{device=灯}",
            "{room}{device}关一下",
            "帮我关闭{device}",
            "请关闭{room}的{device}。",
            "{device}关掉",
            "把{room}的{device}都关了",
            "睡觉了，关{device=灯}",
            "出门了，把{device}关掉",
            "关一下{device}吧",
            "把{device}给我关上",
            "关闭{room}{device}",
            "关了{device}",
            "能不能把{room}的{device}关掉？",
            "{room}的{device=灯}关了吧🌙",
        ],
        "AddToCalendar": [
            "{date}{time}{event}，帮我加到日历",
            "把{event}加到日程里",
            "在日历上添加{date}的{event}",
            "提醒我{date}{time}有{event}",
            "新建日程：{date}{time}{event}",
            "帮我安排{date}{time}的{event}",
            "{date}有{event}，记一下",
            "添加日程{event}",
            "日历里加个{event}，{date}{time}",
            "{date}{time}在{location}{event}，加到日历",
            "记一下{date}{time}要{event}",
            "创建一个{event}的日程",
            "帮我在日历里记上{date}{event}。",
            "安排一个{date}的{event}",
            "{date}{time}{event}📅",
            "加个日程",
        ],
    },
}

# --------------------------------------------------------------------------
# Rendering
# --------------------------------------------------------------------------

PLACEHOLDER = re.compile(r"\{([a-z_]+)(?::([a-z_]+))?(?:=([^}]*))?\}")
TRAILING_PUNCT = ".?!。？！"


def parse_template(template):
    """Split a template into [(literal_text, None) | (key, label, fixed)] parts."""
    parts = []
    pos = 0
    for m in PLACEHOLDER.finditer(template):
        if m.start() > pos:
            parts.append(("lit", template[pos:m.start()], None, None))
        label, variant, fixed = m.group(1), m.group(2), m.group(3)
        key = f"{label}:{variant}" if variant else label
        parts.append(("slot", key, label, fixed))
        pos = m.end()
    if pos < len(template):
        parts.append(("lit", template[pos:], None, None))
    return parts


def fillers_for(lang, intent, key):
    return OVERRIDES.get((lang, intent, key)) or FILLERS[lang][key]


def render(rng, lang, intent, template):
    """Return a list of [text, label_or_None] segments."""
    parts = parse_template(template)
    keys = {p[1] for p in parts if p[0] == "slot" and p[3] is None}
    chosen = {}
    if {"artist", "song"} <= keys:  # keep artist and song consistent
        chosen["artist"], chosen["song"] = rng.choice(ARTIST_SONG[lang])
    segs = []
    for kind, a, label, fixed in parts:
        if kind == "lit":
            segs.append([a, None])
        else:
            if fixed is not None:
                value = fixed
            elif a in chosen:
                value = chosen[a]
            else:
                value = rng.choice(fillers_for(lang, intent, a))
            segs.append([value, label])
    return segs


def add_noise(rng, lang, segs):
    """Surface variation applied per segment so offsets stay exact."""
    if lang == "en":
        if rng.random() < 0.3:  # all lowercase, as many people type
            for s in segs:
                s[0] = s[0].lower()
        elif rng.random() < 0.3:  # capitalise the first character
            s = segs[0]
            if s[0]:
                s[0] = s[0][0].upper() + s[0][1:]
    else:
        if rng.random() < 0.15:  # half-width question mark
            for s in segs:
                if s[1] is None:
                    s[0] = s[0].replace("？", "?")
        if rng.random() < 0.15:  # comma replaced by a space
            for s in segs:
                if s[1] is None:
                    s[0] = s[0].replace("，", " ")
    # drop trailing punctuation (only from a trailing literal segment)
    last = segs[-1]
    if last[1] is None and rng.random() < 0.35:
        last[0] = last[0].rstrip(TRAILING_PUNCT).rstrip()
    return segs


def to_record(intent, segs):
    text = ""
    slots = []
    for value, label in segs:
        if label is not None:
            slots.append({"start": len(text), "end": len(text) + len(value), "label": label})
        text += value
    # trim surrounding whitespace, shifting offsets
    lead = len(text) - len(text.lstrip())
    if lead:
        for s in slots:
            s["start"] -= lead
            s["end"] -= lead
    text = text.strip()
    return {"text": text, "intent": intent, "slots": slots}


def norm_key(text):
    """Key used for de-duplication: case, spacing, punctuation and emoji ignored."""
    return "".join(ch for ch in text.lower() if ch.isalnum())


def generate():
    rng = random.Random(SEED)
    data = {}
    for lang in LANGS:
        seen = set()
        by_intent = {}
        for intent in INTENTS:
            templates = TEMPLATES[lang][intent]
            records = []
            attempts = 0
            while len(records) < PER_INTENT and attempts < 20000:
                # first pass walks every template so each one is used at least once
                if attempts < len(templates):
                    template = templates[attempts]
                else:
                    template = rng.choice(templates)
                attempts += 1
                rec = to_record(intent, add_noise(rng, lang, render(rng, lang, intent, template)))
                key = norm_key(rec["text"])
                if key in seen:
                    continue
                seen.add(key)
                records.append(rec)
            if len(records) < PER_INTENT:
                print(f"warning: {lang}/{intent}: only {len(records)} unique utterances",
                      file=sys.stderr)
            by_intent[intent] = records
        # stratified split
        splits = {name: [] for name in SPLITS}
        for intent in INTENTS:
            recs = list(by_intent[intent])
            rng.shuffle(recs)
            n = len(recs)
            n_dev = max(1, round(n * DEV_FRAC))
            n_test = max(1, round(n * TEST_FRAC))
            splits["dev"].extend(recs[:n_dev])
            splits["test"].extend(recs[n_dev:n_dev + n_test])
            splits["train"].extend(recs[n_dev + n_test:])
        for name in SPLITS:
            rng.shuffle(splits[name])
        data[lang] = splits
    return data


# --------------------------------------------------------------------------
# I/O and validation
# --------------------------------------------------------------------------

HERE = os.path.dirname(os.path.abspath(__file__))


def path_for(lang, split):
    return os.path.join(HERE, lang, f"{split}.jsonl")


def write(data):
    for lang, splits in data.items():
        os.makedirs(os.path.join(HERE, lang), exist_ok=True)
        for split, records in splits.items():
            with open(path_for(lang, split), "w", encoding="utf-8", newline="\n") as f:
                for rec in records:
                    f.write(json.dumps(rec, ensure_ascii=False) + "\n")


def read():
    data = {}
    for lang in LANGS:
        data[lang] = {}
        for split in SPLITS:
            with open(path_for(lang, split), encoding="utf-8") as f:
                data[lang][split] = [json.loads(line) for line in f if line.strip()]
    return data


def validate(data):
    errors = []
    for lang in LANGS:
        exact, normed = {}, {}
        for split in SPLITS:
            records = data[lang][split]
            intents_here = set()
            for i, rec in enumerate(records):
                where = f"{lang}/{split}:{i + 1}"
                if set(rec) != {"text", "intent", "slots"}:
                    errors.append(f"{where}: bad keys {sorted(rec)}")
                    continue
                text = rec["text"]
                if not isinstance(text, str) or not text or text != text.strip():
                    errors.append(f"{where}: bad text {text!r}")
                if rec["intent"] not in INTENTS:
                    errors.append(f"{where}: unknown intent {rec['intent']!r}")
                intents_here.add(rec["intent"])
                prev_end = 0
                for s in rec["slots"]:
                    st, en, lab = s.get("start"), s.get("end"), s.get("label")
                    if lab not in SLOT_LABELS:
                        errors.append(f"{where}: unknown label {lab!r}")
                    if not (isinstance(st, int) and isinstance(en, int) and 0 <= st < en <= len(text)):
                        errors.append(f"{where}: bad offsets {s}")
                        continue
                    value = text[st:en]
                    if value != value.strip():
                        errors.append(f"{where}: span has edge whitespace {value!r}")
                    if st < prev_end:
                        errors.append(f"{where}: overlapping / unsorted spans")
                    prev_end = en
                for key, table in ((text, exact), (norm_key(text), normed)):
                    if key in table:
                        errors.append(f"{where}: duplicate of {table[key]} ({text!r})")
                    else:
                        table[key] = where
            missing = set(INTENTS) - intents_here
            if missing:
                errors.append(f"{lang}/{split}: missing intents {sorted(missing)}")
    return errors


def report(data):
    for lang in LANGS:
        total = sum(len(data[lang][s]) for s in SPLITS)
        print(f"== {lang}: {total} utterances "
              + ", ".join(f"{s}={len(data[lang][s])}" for s in SPLITS))
        intent_counts = {s: Counter(r["intent"] for r in data[lang][s]) for s in SPLITS}
        label_counts = {s: Counter(sl["label"] for r in data[lang][s] for sl in r["slots"])
                        for s in SPLITS}
        print(f"   {'intent':<16}" + "".join(f"{s:>7}" for s in SPLITS))
        for intent in INTENTS:
            print(f"   {intent:<16}" + "".join(f"{intent_counts[s][intent]:>7}" for s in SPLITS))
        print(f"   {'slot label':<16}" + "".join(f"{s:>7}" for s in SPLITS))
        for label in SLOT_LABELS:
            print(f"   {label:<16}" + "".join(f"{label_counts[s][label]:>7}" for s in SPLITS))


def main(argv):
    if "--check" not in argv:
        for lang in LANGS:
            for intent in INTENTS:
                n = len(TEMPLATES[lang][intent])
                assert n >= 12, f"{lang}/{intent} has only {n} templates"
        write(generate())
    data = read()  # validate what is actually on disk
    errors = validate(data)
    report(data)
    if errors:
        print(f"\n{len(errors)} validation error(s):", file=sys.stderr)
        for e in errors[:50]:
            print("  " + e, file=sys.stderr)
        return 1
    print("\nall records valid")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
